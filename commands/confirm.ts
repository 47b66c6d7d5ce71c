import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { ConfirmResult } from '../src/apply/confirm.js';

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

  async run(): Promise<ConfirmResult> {
    const { args, flags } = await this.parse(Confirm);
    const { confirmPending } = await import('../src/apply/confirm.js');
    const { describeConnection } = await import('../src/session/connection.js');
    const fromThisSession = flags['from-this-session'];
    const r = await confirmPending({ stateDir: flags['state-dir'], changeId: args.id, fromThisSession });
    const from = r.confirmedBy.from ? ` from ${r.confirmedBy.from}` : '';
    this.say(`Change ${r.changeId} confirmed (version ${r.versionId}) by ${r.confirmedBy.user}${from}.`);
    const over = `Confirmed over ${describeConnection(r.via.connection)}`;
    if (r.via.newConnectionProven) this.say(`${over}, opened after the change: new connections get through.`);
    else this.say(`${over}: a new connection was NOT proven (${r.via.method}); check that you can still log in.`);
    if (r.persistedTo) {
      const kept = r.previousPersistKeptAt ? ` (previous content kept at ${r.previousPersistKeptAt})` : '';
      this.say(`Persisted to ${r.persistedTo}${kept}.`);
    }
    return r;
  }
}
