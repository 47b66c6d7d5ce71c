import { run } from '../run/runner.js';
import { hasBinary } from '../run/binaries.js';
import type { RulesetModel } from '../ruleset/model.js';
import { chainOwner } from './owners.js';
import type { SnapshotT } from '../snapshot/schema.js';

export type FirewalldCapture = NonNullable<SnapshotT['firewalld']>;
export type FirewalldZone = FirewalldCapture['activeZones'][number];

// firewall-cmd is a Python program talking over D-Bus: 0.2–0.3 s when it answers; a dead bus must not hang us.
const FIREWALL_CMD_TIMEOUT_MS = 5_000;

/** firewalld's own table (`inet firewalld`; `ip`/`ip6 firewalld` before 0.9). */
export function isFirewalldTable(table: { family: string; name: string }): boolean {
  return table.name === 'firewalld' && ['inet', 'ip', 'ip6'].includes(table.family);
}

export function hasFirewalldTable(model: RulesetModel): boolean {
  return model.tables.some(isFirewalldTable);
}

/** firewalld's chains in other tables: its old iptables backend (INPUT_direct, IN_public_allow, …). */
export function firewalldChains(model: RulesetModel): string[] {
  return model.tables.flatMap((t) =>
    t.chains.filter((c) => chainOwner(c.name) === 'firewalld').map((c) => `${t.family} ${t.name} ${c.name}`),
  );
}

/** Marks that firewalld manages this namespace: its table (nftables backend) or its chains (iptables backend). */
export function hasFirewalldMarks(model: RulesetModel): boolean {
  return hasFirewalldTable(model) || firewalldChains(model).length > 0;
}

/** Cheap check (one `nft list tables`) for callers that have not listed the ruleset. */
async function firewalldTableExists(netns: string | null): Promise<boolean> {
  const r = await run('nft', ['list', 'tables'], { netns, allowFailure: true, timeoutMs: FIREWALL_CMD_TIMEOUT_MS });
  return r.stdout.split('\n').some((line) => /^table (inet|ip|ip6) firewalld$/.test(line.trim()));
}

async function firewallCmd(netns: string | null, args: string[]): Promise<{ ok: boolean; stdout: string }> {
  // DBUS_SYSTEM_BUS_ADDRESS passes through the runner's environment untouched, so a private bus is honoured.
  const r = await run('firewall-cmd', args, { netns, allowFailure: true, timeoutMs: FIREWALL_CMD_TIMEOUT_MS });
  return { ok: r.exitCode === 0 && !r.timedOut, stdout: r.stdout };
}

// firewalld's D-Bus object: dbus-send (C, ~20 ms) answers what firewall-cmd (Python, 0.2–0.4 s each) would.
const FIREWALLD_DBUS = [
  '--system',
  '--print-reply',
  `--reply-timeout=${FIREWALL_CMD_TIMEOUT_MS - 1_000}`,
  '--dest=org.fedoraproject.FirewallD1',
  '/org/fedoraproject/FirewallD1',
];

/** The last `string "…"` of a `dbus-send --print-reply` answer; null when the call failed. */
export function parseDbusString(stdout: string): string | null {
  const all = [...stdout.matchAll(/\bstring "((?:[^"\\]|\\.)*)"/g)];
  return all.length > 0 ? all[all.length - 1]![1]! : null;
}

async function dbusString(netns: string | null, args: string[]): Promise<string | null> {
  const r = await run('dbus-send', [...FIREWALLD_DBUS, ...args], {
    netns,
    allowFailure: true,
    timeoutMs: FIREWALL_CMD_TIMEOUT_MS,
  });
  return r.exitCode === 0 && !r.timedOut ? parseDbusString(r.stdout) : null;
}

/** `firewall-cmd --state`: "running" or null. A dead bus or an absent firewalld costs one short call. */
async function firewalldState(netns: string | null): Promise<string | null> {
  if (hasBinary('dbus-send')) {
    const state = await dbusString(netns, [
      'org.freedesktop.DBus.Properties.Get',
      'string:org.fedoraproject.FirewallD1',
      'string:state',
    ]);
    return state === 'RUNNING' ? 'running' : null;
  }
  const r = await firewallCmd(netns, ['--state']);
  return r.ok && r.stdout.trim() === 'running' ? 'running' : null;
}

async function defaultZone(netns: string | null): Promise<string | null> {
  if (hasBinary('dbus-send')) return (await dbusString(netns, ['org.fedoraproject.FirewallD1.getDefaultZone'])) || null;
  const r = await firewallCmd(netns, ['--get-default-zone']);
  return r.ok ? r.stdout.trim() || null : null;
}

export interface ParsedZone extends FirewalldZone {
  active: boolean;
  isDefault: boolean;
}

/** Parses `firewall-cmd --list-all-zones` (zone header line, then indented `key: value` lines; rich rules on tab-indented lines). */
export function parseZones(text: string): ParsedZone[] {
  const zones: ParsedZone[] = [];
  let zone: ParsedZone | null = null;
  let inRich = false;
  const words = (value: string): string[] => value.trim().split(/\s+/).filter(Boolean);
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      inRich = false;
      continue;
    }
    const header = /^(\S+)(?:\s+\(([^)]*)\))?\s*$/.exec(line);
    if (header) {
      const marks = (header[2] ?? '').split(',').map((m) => m.trim());
      zone = {
        name: header[1]!,
        interfaces: [],
        sources: [],
        services: [],
        ports: [],
        richRules: [],
        active: marks.includes('active'),
        isDefault: marks.includes('default'),
      };
      zones.push(zone);
      inRich = false;
      continue;
    }
    if (!zone) continue;
    if (inRich && /^\t/.test(line)) {
      zone.richRules.push(line.trim());
      continue;
    }
    const kv = /^\s+([a-z -]+):\s?(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    inRich = key === 'rich rules';
    if (inRich && value.trim()) zone.richRules.push(value.trim());
    if (key === 'interfaces') zone.interfaces = words(value);
    else if (key === 'sources') zone.sources = words(value);
    else if (key === 'services') zone.services = words(value);
    else if (key === 'ports') zone.ports = words(value);
  }
  return zones;
}

/**
 * firewalld's runtime configuration for the namespace, or null when it does not run there. Asked only when
 * its table (or chains) exist in the namespace, so a firewalld elsewhere on the bus is not mistaken for this one's.
 * Pass `tablePresent` (hasFirewalldMarks) when the ruleset was already listed: false ⇒ no call at all.
 */
export async function captureFirewalld(
  netns: string | null,
  options: { tablePresent?: boolean } = {},
): Promise<SnapshotT['firewalld']> {
  if (!hasBinary('firewall-cmd')) return null;
  const present = options.tablePresent ?? (hasBinary('nft') && (await firewalldTableExists(netns)));
  if (!present) return null;
  // Is it running? Then the default zone and the zones (one Python start-up) in parallel.
  const state = await firewalldState(netns);
  if (state === null) return null;
  const [def, zones] = await Promise.all([defaultZone(netns), firewallCmd(netns, ['--list-all-zones'])]);
  // The default zone applies to every interface bound nowhere else: it is in force even when not "active".
  const activeZones = (zones.ok ? parseZones(zones.stdout) : [])
    .filter((z) => z.active || z.isDefault || z.name === def)
    .map(({ active: _a, isDefault: _d, ...zone }) => zone);
  return { state, defaultZone: def, activeZones };
}
