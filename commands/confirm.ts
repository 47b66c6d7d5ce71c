import { Args } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { ConfirmResult } from '../src/apply/confirm.js';

export default class Confirm extends BaseCommand {
  static summary = 'Keep the pending change: the watchdog stands down, the version is marked confirmed (and persisted if asked).';
  static description = 'Run it from a NEW SSH session: that proves new connections still get through the changed firewall.';
  static examples = ['<%= config.bin %> confirm', '<%= config.bin %> confirm c-20260101120000-abc123 --json'];
  static args = { id: Args.string({ description: 'The change id (default: the pending change).' }) };

  async run(): Promise<ConfirmResult> {
    const { args, flags } = await this.parse(Confirm);
    const { confirmPending } = await import('../src/apply/confirm.js');
    const { confirmLines } = await import('../src/apply/confirm-lines.js');
    const r = await confirmPending({ stateDir: flags['state-dir'], changeId: args.id });
    for (const line of confirmLines(r)) this.say(line);
    return r;
  }
}
