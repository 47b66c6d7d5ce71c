import { BaseCommand } from '../src/cli/base-command.js';
import type { StatusResultT } from '../src/contracts/status.js';

export default class Status extends BaseCommand {
  static skipStaleCheck = true;
  static summary = 'Show the pending change: id, deadline, seconds left, watchdog alive, tables touched.';
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];

  async run(): Promise<StatusResultT> {
    const { flags } = await this.parse(Status);
    const { pendingStatus, withRewritten } = await import('../src/apply/status.js');
    const result = await withRewritten(pendingStatus({ stateDir: flags['state-dir'] }), flags['state-dir']);
    const { statusLines } = await import('../src/apply/status-lines.js');
    for (const line of statusLines(result)) this.say(line);
    return result;
  }
}
