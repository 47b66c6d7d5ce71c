import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import type { LabUpResultT } from '../../src/contracts/lab-up.js';

export default class LabUp extends BaseCommand {
  static summary = 'Create a disposable two-host lab: NAME-admin and NAME-server namespaces, a veth link, a real sshd.';
  static examples = ['<%= config.bin %> lab up', '<%= config.bin %> lab up mylab --json'];
  static args = { name: Args.string({ description: 'Lab name.', default: 'fwlab' }) };

  async run(): Promise<LabUpResultT> {
    const { args, flags } = await this.parse(LabUp);
    const { labUp } = await import('../../src/lab/lab.js');
    const { tryCommands } = await import('../../src/lab/render.js');
    const lab = await labUp({ name: args.name, stateDir: flags['state-dir'] });
    this.say(
      `Lab "${lab.name}" is up: ${lab.adminNetns} (${lab.admin.v4}) ⇄ ${lab.serverNetns} (${lab.server.v4}), sshd pid ${lab.sshdPid}.`,
    );
    this.say('');
    this.say(tryCommands(lab).join('\n'));
    return lab;
  }
}
