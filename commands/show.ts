import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { versionArg } from '../src/cli/flags.js';
import { showVersion } from '../src/history/show.js';
import type { ShowResultT } from '../src/contracts/show.js';
import { currentWhere, describeWhere } from '../src/host/identity.js';
import { renderLogDetails, renderLogLine } from '../src/history/log.js';

export default class Show extends BaseCommand {
  static summary = 'Show one version: its record and its ruleset (normalised, or raw with counters).';
  static examples = [
    '<%= config.bin %> show 3',
    '<%= config.bin %> show latest --raw',
    '<%= config.bin %> show -1 --json',
  ];
  static args = {
    version: versionArg.required(),
  };
  static flags = {
    raw: Flags.boolean({ description: 'Print the ruleset as nft listed it (handles and counters included).' }),
  };

  async run(): Promise<ShowResultT> {
    const { args, flags } = await this.parse(Show);
    const result = showVersion({ ref: args.version, stateDir: flags['state-dir'], raw: flags.raw });
    this.say(renderLogLine(result.version, currentWhere(this.checkNetns(flags.netns))));
    if (result.version.where) this.say(`taken in ${describeWhere(result.version.where)}`);
    for (const line of renderLogDetails(result.version)) this.say(line);
    this.say(`hash ${result.version.hash}`);
    this.say('');
    this.say(result.text.trimEnd());
    return result;
  }
}
