import { BaseCommand } from '../src/cli/base-command.js';
import type { StatusResult } from '../src/apply/status.js';

export default class Status extends BaseCommand {
  static skipStaleCheck = true;
  static summary = 'Show the pending change: id, deadline, seconds left, watchdog alive, tables touched.';
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const { pendingStatus } = await import('../src/apply/status.js');
    const result = pendingStatus({ stateDir: flags['state-dir'] });
    const p = result.pending;
    if (p === null) {
      this.say('No change is pending.');
      return result;
    }
    this.say(`Change ${p.changeId} (version ${p.versionId ?? 'being applied'}) is pending confirmation.`);
    this.say(`  deadline:  ${p.deadline} (${p.secondsLeft} s left)`);
    this.say(`  watchdog:  ${p.watchdogPid ?? '-'} ${p.watchdogAlive ? 'alive' : 'NOT RUNNING'}`);
    this.say(`  tables:    ${p.touchedTables.join(', ')}`);
    if (p.message) this.say(`  message:   ${p.message}`);
    if (p.stale) this.say(`  STALE (${p.stale}): run fwsafe recover to restore the previous rules.`);
    else this.say(`  keep it: fwsafe confirm    undo it: fwsafe rollback    more time: fwsafe extend SECONDS`);
    return result;
  }
}
