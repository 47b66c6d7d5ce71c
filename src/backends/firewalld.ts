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
  return model.tables.flatMap((t) => t.chains.filter((c) => chainOwner(c.name) === 'firewalld').map((c) => `${t.family} ${t.name} ${c.name}`));
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
      zone = { name: header[1]!, interfaces: [], sources: [], services: [], ports: [], richRules: [], active: marks.includes('active'), isDefault: marks.includes('default') };
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
 * firewalld's runtime configuration for the namespace, or null when it does not run there. Present only when
 * its table exists in the namespace (so a firewalld elsewhere on the bus is not mistaken for this one's).
 * Pass `tablePresent` when the ruleset was already listed: absent ⇒ no firewall-cmd call at all.
 */
export async function captureFirewalld(netns: string | null, options: { tablePresent?: boolean } = {}): Promise<SnapshotT['firewalld']> {
  if (!hasBinary('firewall-cmd')) return null;
  const present = options.tablePresent ?? (hasBinary('nft') && (await firewalldTableExists(netns)));
  if (!present) return null;
  // The three questions in parallel: each firewall-cmd pays a Python start-up.
  const [state, defaultZone, zones] = await Promise.all([
    firewallCmd(netns, ['--state']),
    firewallCmd(netns, ['--get-default-zone']),
    firewallCmd(netns, ['--list-all-zones']),
  ]);
  if (!state.ok || state.stdout.trim() !== 'running') return null;
  const def = defaultZone.ok ? defaultZone.stdout.trim() || null : null;
  // The default zone applies to every interface bound nowhere else: it is in force even when not "active".
  const activeZones = (zones.ok ? parseZones(zones.stdout) : [])
    .filter((z) => z.active || z.isDefault || z.name === def)
    .map(({ active: _a, isDefault: _d, ...zone }) => zone);
  return { state: state.stdout.trim(), defaultZone: def, activeZones };
}
