import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { versionArg } from '../src/cli/flags.js';
import { diffVersions } from '../src/history/diff-versions.js';
import type { DiffResultT } from '../src/contracts/diff.js';
import { colourDiff } from '../src/cli/colour.js';
import { identicalLine, notComparedLines } from '../src/history/render-diff.js';

export default class Diff extends BaseCommand {
  static summary = 'Unified diff of two versions, or of a version and the live ruleset (handles and counters ignored).';
  static examples = [
    '<%= config.bin %> diff 3',
    '<%= config.bin %> diff 2 5',
    '<%= config.bin %> --netns lab diff latest live --json',
  ];
  static args = {
    a: versionArg.required(true),
    b: versionArg.optional('default: live', true),
  };

  static flags = {
    all: Flags.boolean({
      description:
        'Compare every table, also those of other owners (docker, kube-proxy, made by hand) that appeared since the older side and that no fwsafe change created; by default they are listed as not compared.',
    }),
    'from-elsewhere': Flags.boolean({
      description:
        'Use a version or plan taken on another host or in another network namespace (refused otherwise, exit 15).',
    }),
  };

  async run(): Promise<DiffResultT> {
    const { args, flags } = await this.parse(Diff);
    const result = await diffVersions({
      a: args.a,
      b: args.b,
      netns: this.checkNetns(flags.netns),
      stateDir: flags['state-dir'],
      fromElsewhere: flags['from-elsewhere'],
      all: flags.all,
    });
    if (result.identical) this.say(identicalLine(result));
    else if (this.colour) this.logPainted(colourDiff(result.unified).trimEnd());
    else this.say(result.unified.trimEnd());
    for (const line of notComparedLines(result)) this.say(line);
    return result;
  }
}
