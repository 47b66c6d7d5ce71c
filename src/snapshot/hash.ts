import { createHash } from 'node:crypto';
import { normaliseBlock, normaliseRulesetText, splitTablesUncached } from '../ruleset/text.js';
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
  return hashOfNormalised(elementsOnePerLine(normaliseRulesetText(parts.nftText), 'fast'), parts);
}

function hashOfNormalised(nft: string, legacy: { legacyV4?: string | null; legacyV6?: string | null }): string {
  return sha256(
    [
      nft,
      '--- iptables-legacy v4',
      normaliseIptablesSave(legacy.legacyV4 ?? null),
      '--- iptables-legacy v6',
      normaliseIptablesSave(legacy.legacyV6 ?? null),
    ].join('\n'),
  );
}

/** One table's part of the content hash: its key (the hash orders tables by it) and its normalised text. */
export interface TableForm {
  key: string;
  form: string;
}

/**
 * One table block's part of the content hash (a block as tableBlocks cuts it), or null when the block is
 * not exactly one table closed on its last line, or holds an element list left open: then only the whole
 * text hashes right. contentHashOfForms over the forms of a listing's blocks equals its contentHash.
 */
export function tableForm(raw: string): TableForm | null {
  const tables = splitTablesUncached(raw);
  const table = tables[0];
  if (tables.length !== 1 || !table || `${table.raw}\n` !== raw) return null;
  const report = { unclosed: false };
  const form = elementsOnePerLine(normaliseBlock(table.raw), 'fast', report);
  return report.unclosed ? null : { key: `${table.family} ${table.name}`, form };
}

/** contentHash from the tables' forms (each table normalised once, e.g. kept from an earlier version). */
export function contentHashOfForms(
  forms: readonly TableForm[],
  legacy: { legacyV4?: string | null; legacyV6?: string | null },
): string {
  // normaliseRulesetText's order: by key, ties (never in one listing) in listing order.
  const sorted = [...forms].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return hashOfNormalised(sorted.map((t) => t.form).join('\n'), legacy);
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
