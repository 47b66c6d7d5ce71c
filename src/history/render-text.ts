import { normaliseIptablesSave } from '../snapshot/hash.js';
import { normaliseRulesetText } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import type { SnapshotT } from '../snapshot/schema.js';

/** The comparable text of a snapshot: normalised nft ruleset, then legacy rules when present. */
export function comparableText(snapshot: Pick<SnapshotT, 'nft' | 'iptablesLegacy'>): string {
  // Set elements one per line, sorted: a reloaded set (same elements, other order) shows no difference.
  const parts = [elementsOnePerLine(normaliseRulesetText(snapshot.nft.text))];
  if (snapshot.iptablesLegacy.v4) parts.push('# iptables-legacy (IPv4)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v4));
  if (snapshot.iptablesLegacy.v6) parts.push('# ip6tables-legacy (IPv6)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v6));
  return parts.join('\n');
}
