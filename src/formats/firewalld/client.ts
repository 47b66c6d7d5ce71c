import { run } from '../../run/runner.js';
import { hasBinary } from '../../run/binaries.js';
import { parseDbusString } from '../../backends/firewalld.js';
import type { RunResult } from '../../run/result.js';
import { FwsafeError, ExitCode } from '../../errors.js';
import { parseListAll, type FirewalldStateT } from './state.js';

/** Which firewalld: the namespace it filters and the D-Bus it listens on (null: the system bus). */
export interface FirewalldTarget {
  netns: string | null;
  bus: string | null;
}

// firewall-cmd answers in 0.1–0.3 s here; a hung firewalld must not hang a rollback.
export const FIREWALL_CMD_TIMEOUT_MS = 8_000;

/** A bus address fwsafe accepts from its environment or a record: a unix socket path, nothing else. */
export const BUS_ADDRESS = /^unix:path=\/[A-Za-z0-9_./+-]{1,200}$/;

/** The bus of the firewalld this process talks to: DBUS_SYSTEM_BUS_ADDRESS when it is a plain unix socket. */
export function busFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env.DBUS_SYSTEM_BUS_ADDRESS;
  return value && BUS_ADDRESS.test(value) ? value : null;
}

export function firewallCmd(
  target: FirewalldTarget,
  args: string[],
  timeoutMs = FIREWALL_CMD_TIMEOUT_MS,
): Promise<RunResult> {
  return run('firewall-cmd', args, {
    netns: target.netns,
    allowFailure: true,
    timeoutMs,
    env: { DBUS_SYSTEM_BUS_ADDRESS: target.bus ?? 'unix:path=/run/dbus/system_bus_socket' },
  });
}

/** firewall-cmd's own words for a failure ("Error: INVALID_SERVICE: nosuch"), or what happened to it. */
export function failureText(r: RunResult): string {
  if (r.timedOut) return `firewall-cmd got no answer within ${Math.round(r.durationMs / 1000)} s (firewalld hung?)`;
  const text = (r.stderr.trim() || r.stdout.trim())
    .split('\n')
    .filter((l) => !l.startsWith('usage:'))
    .slice(0, 3)
    .join(' ');
  return text || `firewall-cmd exited with ${r.exitCode ?? r.signal}`;
}

export function unavailable(why: string): FwsafeError {
  return new FwsafeError(`firewalld is not reachable: ${why}.`, {
    code: 'FIREWALLD_UNAVAILABLE',
    exitCode: ExitCode.firewalldUnavailable,
    actions: [
      'Check it runs: firewall-cmd --state',
      'fwsafe talks to the firewalld on the system bus (or DBUS_SYSTEM_BUS_ADDRESS).',
    ],
  });
}

/** Reads firewalld's runtime (or permanent) configuration: default zone, every zone, every policy. */
export async function readState(
  target: FirewalldTarget,
  options: { permanent?: boolean } = {},
): Promise<FirewalldStateT> {
  const p = options.permanent ? ['--permanent'] : [];
  const [def, zones, policies] = await Promise.all([
    defaultZone(target),
    firewallCmd(target, [...p, '--list-all-zones']),
    firewallCmd(target, [...p, '--list-all-policies']),
  ]);
  for (const r of [def, zones, policies]) if (r.exitCode !== 0 || r.timedOut) throw unavailable(failureText(r));
  return { defaultZone: def.stdout.trim(), zones: parseListAll(zones.stdout), policies: parseListAll(policies.stdout) };
}

// The default zone over dbus-send (C, ~20 ms) instead of a third Python start-up (0.4–1.4 s on 2 busy cores).
async function defaultZone(target: FirewalldTarget): Promise<RunResult> {
  if (!hasBinary('dbus-send')) return firewallCmd(target, ['--get-default-zone']);
  const r = await run(
    'dbus-send',
    [
      '--system',
      '--print-reply',
      '--reply-timeout=5000',
      '--dest=org.fedoraproject.FirewallD1',
      '/org/fedoraproject/FirewallD1',
      'org.fedoraproject.FirewallD1.getDefaultZone',
    ],
    {
      allowFailure: true,
      timeoutMs: FIREWALL_CMD_TIMEOUT_MS,
      env: { DBUS_SYSTEM_BUS_ADDRESS: target.bus ?? 'unix:path=/run/dbus/system_bus_socket' },
    },
  );
  const zone = r.exitCode === 0 ? parseDbusString(r.stdout) : null;
  return zone ? { ...r, stdout: `${zone}\n` } : { ...r, exitCode: r.exitCode === 0 ? 1 : r.exitCode };
}

/** Is a firewalld answering on this bus? (`firewall-cmd --state` prints "running".) */
export async function isRunning(target: FirewalldTarget, timeoutMs = 3_000): Promise<boolean> {
  if (!hasBinary('dbus-send')) {
    const r = await firewallCmd(target, ['--state'], timeoutMs);
    return r.exitCode === 0 && r.stdout.trim() === 'running';
  }
  const r = await run(
    'dbus-send',
    [
      '--system',
      '--print-reply',
      `--reply-timeout=${Math.max(500, timeoutMs - 200)}`,
      '--dest=org.fedoraproject.FirewallD1',
      '/org/fedoraproject/FirewallD1',
      'org.freedesktop.DBus.Properties.Get',
      'string:org.fedoraproject.FirewallD1',
      'string:state',
    ],
    {
      allowFailure: true,
      timeoutMs,
      env: { DBUS_SYSTEM_BUS_ADDRESS: target.bus ?? 'unix:path=/run/dbus/system_bus_socket' },
    },
  );
  return r.exitCode === 0 && parseDbusString(r.stdout) === 'RUNNING';
}

/** The pid of the process owning firewalld's bus name (to read its view of /etc/firewalld), or null. */
export async function firewalldPid(target: FirewalldTarget): Promise<number | null> {
  const r = await run(
    'dbus-send',
    [
      '--system',
      '--print-reply',
      '--reply-timeout=3000',
      '--dest=org.freedesktop.DBus',
      '/',
      'org.freedesktop.DBus.GetConnectionUnixProcessID',
      'string:org.fedoraproject.FirewallD1',
    ],
    {
      allowFailure: true,
      timeoutMs: 5_000,
      env: { DBUS_SYSTEM_BUS_ADDRESS: target.bus ?? 'unix:path=/run/dbus/system_bus_socket' },
    },
  );
  const pid = Number(/uint32 (\d+)/.exec(r.stdout)?.[1]);
  return r.exitCode === 0 && Number.isInteger(pid) && pid > 1 ? pid : null;
}
