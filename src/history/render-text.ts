import { normaliseIptablesSave } from '../snapshot/hash.js';
import { normaliseRulesetText } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import type { SnapshotT } from '../snapshot/schema.js';

/**
 * The comparable text of a snapshot: normalised nft ruleset, then iptables rules as iptables prints them
 * (iptables-nft tables also appear in the nft text, where xt matches and comments are lost), legacy rules.
 */
export function comparableText(snapshot: Pick<SnapshotT, 'nft' | 'iptablesLegacy'> & Partial<Pick<SnapshotT, 'iptablesNft'>>): string {
  // Set elements one per line, sorted: a reloaded set (same elements, other order) shows no difference.
  const parts = [elementsOnePerLine(normaliseRulesetText(snapshot.nft.text))];
  if (snapshot.iptablesNft?.v4) parts.push('# iptables-nft (IPv4)\n' + normaliseIptablesSave(snapshot.iptablesNft.v4));
  if (snapshot.iptablesNft?.v6) parts.push('# ip6tables-nft (IPv6)\n' + normaliseIptablesSave(snapshot.iptablesNft.v6));
  if (snapshot.iptablesLegacy.v4) parts.push('# iptables-legacy (IPv4)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v4));
  if (snapshot.iptablesLegacy.v6) parts.push('# ip6tables-legacy (IPv6)\n' + normaliseIptablesSave(snapshot.iptablesLegacy.v6));
  return parts.join('\n');
}
