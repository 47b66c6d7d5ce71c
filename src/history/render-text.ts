import { normaliseIptablesSave } from '../snapshot/hash.js';
import { normaliseRulesetText } from '../ruleset/text.js';
import type { SnapshotT } from '../snapshot/schema.js';

/** The comparable text of a snapshot: normalised nft ruleset, then legacy rules when present. */
export function comparableText(snapshot: Pick<SnapshotT, 'nft' | 'iptablesLegacy'>): string {
  const parts = [normaliseRulesetText(snapshot.nft.text)];
  if (snapshot.iptablesLegacy.v4) parts.push('# iptables-legacy (IPv4)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v4));
  if (snapshot.iptablesLegacy.v6) parts.push('# ip6tables-legacy (IPv6)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v6));
  return parts.join('\n');
}
