import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import type { LabDemoResultT } from '../../src/contracts/lab-demo.js';

export default class LabDemo extends BaseCommand {
  static summary = 'The lockout demo: a lab, a safe change, then a locking change rolled back by the watchdog.';
  static description =
    'What `npm run demo` runs. Narrated on stdout; the lab is removed at the end, even on failure or Ctrl-C.';
  static args = { name: Args.string({ description: 'Lab name.', default: 'fwdemo' }) };
  static flags = {
    timeout: Flags.integer({
      description: 'Confirmation window of the locking change, seconds.',
      default: 8,
      min: 3,
      max: 120,
    }),
  };

  async run(): Promise<LabDemoResultT> {
    const { args, flags } = await this.parse(LabDemo);
    const { runDemo } = await import('../../src/lab/demo.js');
    const { labDown } = await import('../../src/lab/lab.js');
    const { labStateDir } = await import('../../src/lab/paths.js');
    const stateDir = labStateDir(flags['state-dir']);
    // Ctrl-C must not leave a lab behind: remove it, then die of the signal as usual.
    const onSignal = (signal: NodeJS.Signals): void => {
      void labDown({ name: args.name, stateDir }).finally(() => process.kill(process.pid, signal));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const result = await runDemo({ name: args.name, stateDir, timeoutSeconds: flags.timeout, say: (t) => this.say(t) });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!result.rolledBack || !result.sessionCameBack) process.exitCode = 1;
    return result;
  }
}
