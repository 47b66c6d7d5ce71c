import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import type { LabSshResultT } from '../../src/contracts/lab-ssh.js';

export default class LabSsh extends BaseCommand {
  static summary =
    'Open a real SSH session from the lab admin namespace into the server (or run a command there after --).';
  static examples = ['<%= config.bin %> lab ssh', '<%= config.bin %> lab ssh fwlab -- nft list ruleset'];
  static strict = false;
  static args = { name: Args.string({ description: 'Lab name.', default: 'fwlab' }) };
  static flags = {
    ipv6: Flags.boolean({ description: 'Connect over IPv6 (2001:db8:100::1 → 2001:db8:100::2) instead of IPv4.' }),
  };

  async run(): Promise<LabSshResultT> {
    // Everything after `--` is the remote command; only what comes before it names the lab.
    const dashdash = this.argv.indexOf('--');
    const command = dashdash === -1 ? [] : this.argv.slice(dashdash + 1);
    const own = dashdash === -1 ? this.argv : this.argv.slice(0, dashdash);
    const { args, flags } = await this.parse(LabSsh, own);
    const { labSsh } = await import('../../src/lab/ssh.js');
    const exitCode = await labSsh({
      name: args.name,
      stateDir: flags['state-dir'],
      command,
      tty: this.isTty,
      ipv6: flags.ipv6,
    });
    process.exitCode = exitCode;
    return { exitCode };
  }
}
