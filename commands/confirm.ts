import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { ConfirmResultT } from '../src/contracts/confirm.js';

export default class Confirm extends BaseCommand {
  static summary = 'Keep the pending change: the guards stand down, the version is confirmed (and persisted if asked).';
  static description =
    'Accepted only from an SSH connection opened after the change was applied (that proves new connections get ' +
    'through), or from a console. From the applying session or an older one it is refused (exit 17) unless ' +
    '--from-this-session.';
  static examples = ['<%= config.bin %> confirm', '<%= config.bin %> confirm c-20260101120000-abc123 --json'];
  static args = { id: Args.string({ description: 'The change id (default: the pending change).' }) };
  static flags = {
    'from-this-session': Flags.boolean({
      description: 'Keep it from this session though it predates the change (recorded: new connection not proven).',
    }),
  };

  async run(): Promise<ConfirmResultT> {
    const { args, flags } = await this.parse(Confirm);
    const { confirmPending } = await import('../src/apply/confirm.js');
    const { confirmLines } = await import('../src/apply/confirm-lines.js');
    const fromThisSession = flags['from-this-session'];
    const r = await confirmPending({ stateDir: flags['state-dir'], changeId: args.id, fromThisSession });
    for (const line of confirmLines(r)) this.say(line);
    return r;
  }
}
