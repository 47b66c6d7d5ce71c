import { Args } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { ExtendResultT } from '../src/contracts/extend.js';

export default class Extend extends BaseCommand {
  static summary = "Set the pending change's deadline to now + SECONDS (like re-issuing `commit confirmed`).";
  static examples = ['<%= config.bin %> extend 300'];
  static args = {
    seconds: Args.integer({ description: 'Seconds from now until the rollback.', required: true, min: 1, max: 86_400 }),
  };

  async run(): Promise<ExtendResultT> {
    const { args, flags } = await this.parse(Extend);
    const { extendPending } = await import('../src/apply/extend.js');
    const r = extendPending({ stateDir: flags['state-dir'], seconds: args.seconds });
    this.say(`Change ${r.changeId} now rolls back at ${r.deadline} (${r.secondsLeft} s) unless confirmed.`);
    return r;
  }
}
