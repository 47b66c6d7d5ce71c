import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { takeAndStoreSnapshot } from '../src/history/snapshot-version.js';
import type { SnapshotResultT } from '../src/contracts/snapshot.js';

export default class Snapshot extends BaseCommand {
  static summary = 'Record the live ruleset of every backend (counters included) as a new version.';
  static examples = [
    '<%= config.bin %> snapshot -m "before maintenance"',
    '<%= config.bin %> --netns lab-server snapshot --json',
  ];
  static flags = {
    message: Flags.string({ char: 'm', description: 'Why this snapshot was taken.', default: '' }),
  };

  async run(): Promise<SnapshotResultT> {
    const { flags } = await this.parse(Snapshot);
    const result = await takeAndStoreSnapshot({
      netns: this.checkNetns(flags.netns),
      stateDir: flags['state-dir'],
      message: flags.message,
    });
    const s = result.version.summary;
    this.say(
      `Version ${result.version.id} recorded (${result.version.hash.slice(0, 12)}): ${s.nftTables} nft tables, ${s.nftRules} rules` +
        `${s.iptablesLegacy ? ', iptables-legacy rules' : ''}${s.firewalld ? ', firewalld' : ''}.`,
    );
    if (result.sameAsVersion !== null) this.say(`Same rules as version ${result.sameAsVersion} (counters aside).`);
    return result;
  }
}
