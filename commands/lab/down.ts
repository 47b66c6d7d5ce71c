import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import type { LabDownResultT } from '../../src/contracts/lab-down.js';

export default class LabDown extends BaseCommand {
  static summary = 'Remove a lab: its sshd, both namespaces and its files.';
  static args = { name: Args.string({ description: 'Lab name.', default: 'fwlab' }) };

  async run(): Promise<LabDownResultT> {
    const { args, flags } = await this.parse(LabDown);
    const { labDown } = await import('../../src/lab/lab.js');
    const result = await labDown({ name: args.name, stateDir: flags['state-dir'] });
    this.say(
      result.removed.length
        ? `Lab "${result.name}" removed (${result.removed.join(', ')}).`
        : `No lab "${result.name}" here: nothing to remove.`,
    );
    return result;
  }
}
