import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A firewalld confined to one test namespace, on a private D-Bus, without systemd. */
export interface ConfinedFirewalld {
  /** `unix:path=…` of the private bus: give it to firewall-cmd / fwsafe as DBUS_SYSTEM_BUS_ADDRESS. */
  busAddress: string;
  env: Record<string, string>;
  /** Runs firewall-cmd against this firewalld (from outside its mount namespace). */
  cmd(args: string[]): { status: number; stdout: string; stderr: string };
  /** Kills everything it started, by PID; safe to call twice. */
  stop(): void;
  log(): string;
  /** The pid of the firewalld running now. */
  pid(): number | null;
  /** Sends a signal to firewalld (SIGSTOP to hang it, SIGCONT to resume, SIGKILL to kill it for good). */
  signal(signal: NodeJS.Signals): void;
  /** Kills firewalld with `signal` and starts a new one on the same bus (it loads the permanent config); resolves when it runs. */
  restart(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

// Root-only system bus with no service activation (the stock config would launch polkitd).
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

// Runs in a private mount namespace: a private tmpfs over /run (the host's /run/netns bound back in, so
// `ip netns exec` works; /run/firewalld does not exist on the host and must not be created there),
// a private copy of /etc/firewalld, then both daemons as direct children; stops them when the test process dies.
const SETUP = `
set -eu
T="$1"; NS="$2"; OWNER="$3"
mount -n -t tmpfs -o mode=755,size=8m fwsafe-test-run "$T/run"
mkdir -p "$T/run/netns" "$T/run/dbus" "$T/run/firewalld" "$T/run/lock"
chmod 755 "$T/run/dbus"
mount -n --rbind /run/netns "$T/run/netns"
if [ -e /run/xtables.lock ]; then touch "$T/run/xtables.lock"; mount -n --bind /run/xtables.lock "$T/run/xtables.lock"; fi
mount -n --rbind "$T/run" /run
cp -a /etc/firewalld/. "$T/etc-firewalld/"
mount -n --bind "$T/etc-firewalld" /etc/firewalld
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus/socket"
dbus-daemon --nofork --nopidfile --config-file="$T/bus.conf" &
echo $! > "$T/dbus.pid"
for i in $(seq 1 50); do [ -S "$T/bus/socket" ] && break; sleep 0.1; done
start_fw() {
  ip netns exec "$NS" firewalld --nofork --nopid --log-target console &
  FW=$!
  echo $FW > "$T/firewalld.pid"
}
start_fw
# Lives as long as both the test process and firewalld: a killed test run leaves no daemon behind.
# A test that asked for a restart (the file "restart") gets a new firewalld on the same bus instead.
while kill -0 "$OWNER" 2>/dev/null; do
  if ! kill -0 "$FW" 2>/dev/null; then
    wait "$FW" 2>/dev/null || true
    if [ -e "$T/restart" ]; then rm -f "$T/restart"; start_fw; else break; fi
  fi
  sleep 0.2
done
kill -TERM "$FW" 2>/dev/null || true
sleep 1
kill -KILL "$FW" "$(cat "$T/dbus.pid")" 2>/dev/null || true
`;

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function kill(pid: number | null | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Starts firewalld inside namespace `ns`; resolves once `firewall-cmd --state` says running (bounded). */
export async function startFirewalld(ns: string, timeoutMs = 20_000): Promise<ConfinedFirewalld> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-'));
  for (const sub of ['run', 'etc-firewalld', 'bus']) spawnSync('mkdir', ['-p', join(dir, sub)]);
  writeFileSync(join(dir, 'bus.conf'), busConfig(join(dir, 'bus', 'socket')));
  const busAddress = `unix:path=${join(dir, 'bus', 'socket')}`;
  const env = { DBUS_SYSTEM_BUS_ADDRESS: busAddress };
  const logFd = openSync(join(dir, 'log'), 'a');
  const child: ChildProcess = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'bash', '-c', SETUP, 'fwsafe-fwd', dir, ns, String(process.pid)],
    {
      stdio: ['ignore', logFd, logFd],
    },
  );
  closeSync(logFd);
  let stopped = false;
  const log = (): string => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '');
  const cmd = (args: string[]): { status: number; stdout: string; stderr: string } => {
    const r = spawnSync('firewall-cmd', args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 10_000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    // SIGTERM lets firewalld remove its table; then the bus, then the holder (its mount namespace dies with it).
    const fw = readPid(join(dir, 'firewalld.pid'));
    rmSync(join(dir, 'restart'), { force: true });
    kill(fw, 'SIGCONT');
    kill(fw, 'SIGTERM');
    for (let i = 0; i < 30 && alive(fw); i++) sleepMs(100);
    kill(fw, 'SIGKILL');
    kill(readPid(join(dir, 'dbus.pid')), 'SIGKILL');
    kill(child.pid, 'SIGKILL');
    for (let i = 0; i < 20 && alive(child.pid ?? null) && child.exitCode === null; i++) sleepMs(50);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`firewalld holder exited early (${child.exitCode}):\n${log()}`);
      if (existsSync(join(dir, 'bus', 'socket')) && cmd(['--state']).stdout.trim() === 'running') break;
      if (Date.now() > deadline) throw new Error(`firewalld did not start within ${timeoutMs} ms:\n${log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    stop();
    throw error;
  }
  const pid = (): number | null => readPid(join(dir, 'firewalld.pid'));
  const signal = (sig: NodeJS.Signals): void => kill(pid(), sig);
  const restart = async (sig: NodeJS.Signals = 'SIGTERM', ms = 20_000): Promise<void> => {
    const old = pid();
    writeFileSync(join(dir, 'restart'), '');
    kill(old, sig);
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (pid() !== old && cmd(['--state']).stdout.trim() === 'running') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`firewalld did not come back within ${ms} ms:\n${log()}`);
  };
  return { busAddress, env, cmd, stop, log, pid, signal, restart };
}
