import { createHash } from 'node:crypto';
import { normaliseRulesetText, splitTables } from '../ruleset/text.js';
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

/** The text of only the given tables (`family name` keys) of a listing, in its order. */
export function tablesText(text: string, keys: string[]): string {
  const wanted = new Set(keys);
  return splitTables(text)
    .filter((t) => wanted.has(`${t.family} ${t.name}`))
    .map((t) => `${t.raw}\n`)
    .join('');
}

/** contentHash of the given tables only (and the legacy rules): a plan's base when the change names its tables. */
export function scopedHash(
  text: string,
  keys: string[] | undefined,
  legacy: { v4: string | null; v6: string | null },
): string {
  const nftText = keys ? tablesText(text, keys) : text;
  return contentHash({ nftText, legacyV4: legacy.v4, legacyV6: legacy.v6 });
}
