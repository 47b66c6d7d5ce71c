import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run/runner.js';
import { FwsafeError, ExitCode } from '../errors.js';
import { spawnDetached } from '../run/spawn.js';
import { LAB_SERVER_V4, LAB_SERVER_V6 } from './schema.js';

export interface LabKeys {
  clientKey: string;
  knownHosts: string;
}

/** Host key, client key, authorized_keys and known_hosts, all private to the lab. */
export async function makeKeys(dir: string): Promise<LabKeys> {
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'id_ed25519');
  await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fwsafe-lab-host', '-f', hostKey]),
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fwsafe-lab-admin', '-f', clientKey]),
  ]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${LAB_SERVER_V4} ${hostPub}\n${LAB_SERVER_V6} ${hostPub}\n`, { mode: 0o600 });
  return { clientKey, knownHosts };
}

/**
 * Starts the lab's own sshd in the server namespace, listening only on the lab addresses (or on `listen`:
 * the fleet test's hosts). Everything it reads and writes is in `dir`.
 */
export async function startSshd(
  dir: string,
  serverNetns: string,
  listen: string[] = [LAB_SERVER_V4, LAB_SERVER_V6],
): Promise<number> {
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'Port 22',
      ...listen.map((address) => `ListenAddress ${address}`),
      `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The lab dir may live under /tmp: the keys are ours and 0600 already.
      'StrictModes no',
      'PrintMotd no',
      'ClientAliveInterval 0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const pid = spawnDetached('sshd', ['-D', '-e', '-f', config], { netns: serverNetns, logFile: join(dir, 'sshd.log') });
  // sshd binds within milliseconds; wait (bounded) until it listens.
  for (let i = 0; i < 50; i += 1) {
    const r = await run('ss', ['-H', '-ltn', 'sport', '=', ':22'], { netns: serverNetns, allowFailure: true });
    if (r.stdout.includes(listen[0]!)) return pid;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new FwsafeError(`The lab's sshd did not start listening in ${serverNetns}.`, {
    code: 'LAB_SSHD_FAILED',
    exitCode: ExitCode.error,
    actions: [`See its log: ${join(dir, 'sshd.log')}`, 'Is openssh-server installed (/usr/sbin/sshd)?'],
  });
}

/**
 * argv of an ssh from the admin namespace into the server (the caller adds the namespace).
 * `extra` comes first: for ssh the first value given for an option wins, so callers can override.
 */
export function sshArgs(dir: string, extra: string[] = [], server: string = LAB_SERVER_V4): string[] {
  return [
    ...extra,
    '-i',
    join(dir, 'id_ed25519'),
    '-o',
    `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
    `root@${server}`,
  ];
}
