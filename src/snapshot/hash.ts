import { createHash } from 'node:crypto';
import { normaliseRulesetText } from '../ruleset/text.js';
import { tableBlocks } from './table-blocks.js';
import type { SnapshotT } from './schema.js';
import { elementsOnePerLine } from '../plan/element-lines.js';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Strips the counters `[p:b]` and the date comments of iptables-save output. */
export function normaliseIptablesSave(text: string | null): string {
  if (!text) return '';
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/^\[\d+:\d+\] /, '').replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

/**
 * The content hash of a ruleset: same rules ⇒ same hash, whatever the handles, the counters, and the
 * order nft lists set elements in (a reloaded hash set lists them in another bucket order).
 */
export function contentHash(parts: { nftText: string; legacyV4?: string | null; legacyV6?: string | null }): string {
  return sha256(
    [
      elementsOnePerLine(normaliseRulesetText(parts.nftText), 'fast'),
      '--- iptables-legacy v4',
      normaliseIptablesSave(parts.legacyV4 ?? null),
      '--- iptables-legacy v6',
      normaliseIptablesSave(parts.legacyV6 ?? null),
    ].join('\n'),
  );
}

/**
 * contentHash of the given tables only (and the legacy rules): a plan's base when the change names its
 * tables. A listing holding no other table hashes as it is (the snapshot's own hash, nothing normalised twice).
 */
export function scopedHash(snapshot: SnapshotT, keys: readonly string[] | undefined): string {
  if (!keys) return snapshot.hash;
  const blocks = tableBlocks(snapshot.nft.text);
  if (blocks.every((b) => keys.includes(b.key))) return snapshot.hash;
  const nftText = blocks
    .filter((b) => keys.includes(b.key))
    .map((b) => b.raw)
    .join('');
  return contentHash({ nftText, legacyV4: snapshot.iptablesLegacy.v4, legacyV6: snapshot.iptablesLegacy.v6 });
}
