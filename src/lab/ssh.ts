import { runInteractive } from '../run/spawn.js';
import { FwsafeError, ExitCode } from '../errors.js';
import { labNames } from './paths.js';
import { readLab } from './lab.js';
import { sshArgs } from './sshd.js';

/** A real SSH session from the admin namespace into the server: interactive, or one command. */
export async function labSsh(options: {
  name: string;
  stateDir?: string;
  command: string[];
  tty: boolean;
  ipv6?: boolean;
}): Promise<number> {
  const n = labNames(options.name, options.stateDir);
  const lab = readLab(n);
  if (!lab) {
    throw new FwsafeError(`No lab "${n.name}" is up.`, {
      code: 'LAB_NOT_FOUND',
      exitCode: ExitCode.notFound,
      actions: [`Create it: fwsafe lab up ${n.name}`],
    });
  }
  // Keep-alives every 2 s: a session frozen by a lockout hangs up after ~6 s, as a real one would.
  const extra = [options.command.length || !options.tty ? '-T' : '-t', '-o', 'ServerAliveInterval=2'];
  return runInteractive(
    'ssh',
    [...sshArgs(lab.dir, extra, options.ipv6 ? lab.server.v6 : lab.server.v4), ...options.command],
    { netns: lab.adminNetns },
  );
}
