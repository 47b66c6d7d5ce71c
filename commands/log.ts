import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { currentWhere } from '../src/host/identity.js';
import { readLog, renderLogDetails, renderLogLine } from '../src/history/log.js';
import type { LogResultT } from '../src/contracts/log.js';

export default class Log extends BaseCommand {
  static summary = 'List every version: snapshots and changes, with outcome, who applied, who confirmed, message.';
  static examples = ['<%= config.bin %> log', '<%= config.bin %> log -n 5 --json'];
  static flags = {
    limit: Flags.integer({ char: 'n', description: 'Show at most this many versions (newest first).', min: 1 }),
  };

  async run(): Promise<LogResultT> {
    const { flags } = await this.parse(Log);
    const { withRewrittenTables } = await import('../src/history/log.js');
    const result = await withRewrittenTables(
      readLog({ stateDir: flags['state-dir'], limit: flags.limit }),
      flags['state-dir'],
    );
    if (result.versions.length === 0 && result.unreadable.length === 0)
      this.say('No versions yet. Take one with: fwsafe snapshot');
    else this.say('  ID  TIME (UTC)           KIND     OUTCOME                WHERE  USER  MESSAGE');
    const here = currentWhere(this.checkNetns(flags.netns));
    for (const v of result.versions) {
      this.say(renderLogLine(v, here, result.unguarded));
      for (const line of renderLogDetails(v)) this.say(line);
    }
    if (result.unguarded) {
      const { changeId, reason } = result.unguarded;
      this.say(
        `Change ${changeId} is UNGUARDED (${reason}): run fwsafe recover (it checks what is live and restores ` +
          'the previous rules if needed).',
      );
    }
    for (const bad of result.unreadable) this.note(`warning: ${bad.message}`);
    const { rewrittenText } = await import('../src/history/confirmed-tables.js');
    for (const r of result.rewritten ?? []) this.note(`warning: ${rewrittenText(r)}`);
    return result;
  }
}
