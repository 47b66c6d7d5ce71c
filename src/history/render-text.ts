import { normaliseIptablesSave } from '../snapshot/hash.js';
import { normaliseRulesetText } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import type { SnapshotT } from '../snapshot/schema.js';

/**
 * The comparable text of a snapshot: normalised nft ruleset, then iptables rules as iptables prints them
 * (iptables-nft tables also appear in the nft text, where xt matches and comments are lost), legacy rules,
 * then firewalld's zones when present.
 */
export function comparableText(
  snapshot: Pick<SnapshotT, 'nft' | 'iptablesLegacy'> & Partial<Pick<SnapshotT, 'iptablesNft' | 'firewalld'>>,
): string {
  // Set elements one per line, sorted: a reloaded set (same elements, other order) shows no difference.
  const parts = [elementsOnePerLine(normaliseRulesetText(snapshot.nft.text))];
  if (snapshot.iptablesNft?.v4) parts.push(`# iptables-nft (IPv4)\n${normaliseIptablesSave(snapshot.iptablesNft.v4)}`);
  if (snapshot.iptablesNft?.v6) parts.push(`# ip6tables-nft (IPv6)\n${normaliseIptablesSave(snapshot.iptablesNft.v6)}`);
  if (snapshot.iptablesLegacy.v4)
    parts.push(`# iptables-legacy (IPv4)\n${normaliseIptablesSave(snapshot.iptablesLegacy.v4)}`);
  if (snapshot.iptablesLegacy.v6)
    parts.push(`# ip6tables-legacy (IPv6)\n${normaliseIptablesSave(snapshot.iptablesLegacy.v6)}`);
  if (snapshot.firewalld) parts.push(firewalldZonesText(snapshot.firewalld));
  return parts.join('\n');
}

/** firewalld's zones in force, one item per line (so a diff shows `+  service https`), sorted. */
export function firewalldZonesText(fw: NonNullable<SnapshotT['firewalld']>): string {
  const lines = [`# firewalld (runtime): default zone ${fw.defaultZone ?? '?'}`];
  for (const z of [...fw.activeZones].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`zone ${z.name}${z.name === fw.defaultZone ? ' (default)' : ''}`);
    const items: [string, string[]][] = [
      ['interface', z.interfaces],
      ['source', z.sources],
      ['service', z.services],
      ['port', z.ports],
      ['rich-rule', z.richRules],
    ];
    for (const [kind, values] of items) for (const v of [...values].sort()) lines.push(`  ${kind} ${v}`);
  }
  return `${lines.join('\n')}\n`;
}
