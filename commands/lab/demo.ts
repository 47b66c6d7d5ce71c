import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import type { DemoResult } from '../../src/lab/demo.js';

export default class LabDemo extends BaseCommand {
  static summary = 'The lockout demo: a lab, a safe change, then a locking change rolled back by the watchdog.';
  static args = { name: Args.string({ description: 'Lab name.', default: 'fwdemo' }) };
  static flags = {
    timeout: Flags.integer({ description: 'Confirmation window of the locking change, seconds.', default: 8, min: 3, max: 120 }),
  };

  async run(): Promise<DemoResult> {
    const { args, flags } = await this.parse(LabDemo);
    const { runDemo } = await import('../../src/lab/demo.js');
    const { statePaths } = await import('../../src/state/paths.js');
    const result = await runDemo({ name: args.name, stateDir: statePaths(flags['state-dir']).root, timeoutSeconds: flags.timeout, say: (t) => this.say(t) });
    if (!result.rolledBack || !result.sessionCameBack) process.exitCode = 1;
    return result;
  }
}
