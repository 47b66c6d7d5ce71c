import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { run } from '../../run/runner.js';
import { spawnChild } from '../../run/spawn.js';
import { resolveBinary } from '../../run/binaries.js';
import { cleanStale } from '../../plan/scratch.js';
import { FwsafeError, ExitCode } from '../../errors.js';
import { isRunning, type FirewalldTarget } from './client.js';

const PREFIX = 'fwsafe-fwd-';
const START_TIMEOUT_MS = 20_000;

// A root-only system bus with no service activation (the stock configuration would start polkitd).
const busConfig = (
  socket: string,
): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <policy user="root">
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow send_type="method_call"/>
  </policy>
</busconfig>
`;

// In a private mount namespace: a tmpfs over /run (the host's /run/netns bound back in; /run/firewalld
// and /run/dbus private), the copy of the configuration over /etc/firewalld, then exec firewalld inside
// the scratch network namespace — so the daemon is this process, a direct child of fwsafe.
const SETUP = `
set -eu
T="$1"; NS="$2"; NSENTER="$3"; FIREWALLD="$4"
mount -n -t tmpfs -o mode=755,size=8m fwsafe-fwd-run "$T/run"
mkdir -p "$T/run/netns" "$T/run/dbus" "$T/run/firewalld" "$T/run/lock"
chmod 755 "$T/run/dbus"
mount -n --rbind /run/netns "$T/run/netns"
mount -n --rbind "$T/run" /run
mount -n --bind "$T/etc" /etc/firewalld
exec "$NSENTER" --net=/run/netns/"$NS" -- "$FIREWALLD" --nofork --nopid --log-target console
`;

/** A throwaway firewalld: its own network namespace, private D-Bus and /run, a copy of a configuration. */
export interface ScratchFirewalld {
  target: FirewalldTarget;
  /** Kills both daemons by pid and removes the namespace and files; safe to call twice. */
  stop(): Promise<void>;
  log(): string;
}

function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

async function killChild(child: ChildProcess | null): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  killPid(child.pid, 'SIGKILL');
  await exited(child);
}

/**
 * Starts a scratch firewalld with a copy of `configDir` (the live firewalld's /etc/firewalld). Its start
 * state is that permanent configuration; the caller brings it to the live runtime state.
 */
export async function startScratchFirewalld(configDir: string): Promise<ScratchFirewalld> {
  await cleanStale(PREFIX);
  const netns = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-'));
  for (const sub of ['run', 'etc', 'bus']) mkdirSync(join(dir, sub), { mode: 0o700 });
  const socket = join(dir, 'bus', 'socket');
  const target: FirewalldTarget = { netns, bus: `unix:path=${socket}` };
  const logFile = join(dir, 'log');
  let dbus: ChildProcess | null = null;
  let firewalld: ChildProcess | null = null;
  let stopped = false;
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // SIGKILL at once: its namespace, /run and bus die with it, so firewalld's own cleanup (≈ 2 s) buys nothing.
    await killChild(firewalld);
    await killChild(dbus);
    await run('ip', ['netns', 'del', netns], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    cpSync(configDir, join(dir, 'etc'), { recursive: true, dereference: false, verbatimSymlinks: true });
    writeFileSync(join(dir, 'bus.conf'), busConfig(socket), { mode: 0o600 });
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    dbus = spawnChild('dbus-daemon', ['--nofork', '--nopidfile', `--config-file=${join(dir, 'bus.conf')}`], {
      logFile,
    });
    const env = { DBUS_SYSTEM_BUS_ADDRESS: target.bus!, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!existsSync(socket)) {
      if (dbus.exitCode !== null || Date.now() > deadline) throw new Error(`its D-Bus did not start:\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const args = [
      '-m',
      '--propagation',
      'private',
      '--',
      resolveBinary('sh'),
      '-c',
      SETUP,
      'fwsafe-fwd',
      dir,
      netns,
      resolveBinary('nsenter'),
      resolveBinary('firewalld'),
    ];
    firewalld = spawnChild('unshare', args, { logFile, env });
    for (;;) {
      if (firewalld.exitCode !== null) throw new Error(`it exited (${firewalld.exitCode}):\n${log().slice(-2000)}`);
      if (await isRunning(target, 2_000)) break;
      if (Date.now() > deadline)
        throw new Error(`it did not answer within ${START_TIMEOUT_MS / 1000} s:\n${log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  } catch (error) {
    await stop();
    throw new FwsafeError(`The scratch firewalld could not be started: ${(error as Error).message}`, {
      code: 'FIREWALLD_SCRATCH_FAILED',
      exitCode: ExitCode.error,
      cause: error,
      actions: ['Check that firewalld, dbus-daemon (dbus) and unshare/nsenter (util-linux) are installed.'],
    });
  }
  return { target, stop, log };
}
