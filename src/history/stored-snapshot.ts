import { z } from 'zod';
import { Snapshot, type SnapshotT } from '../snapshot/schema.js';
import { tableBlocks } from '../snapshot/table-blocks.js';
import type { TableStore } from './table-store.js';

/**
 * A version's snapshot file. Schema 1 (written before issue 18, and still for a listing that is not cut
 * into whole table blocks) holds the nft text itself; schema 2 names each table block's text in the
 * table store (src/history/table-store.ts), in listing order. Read back, both are the same SnapshotT.
 */
export const STORED_SNAPSHOT_SCHEMA = 2;

/** Tables smaller than this (characters) stay inside the snapshot file (a 500-rule table is ~40k). */
export const INLINE_BELOW = 64 * 1024;

export const StoredTables = Snapshot.omit({ schema: true, nft: true }).extend({
  schema: z.literal(STORED_SNAPSHOT_SCHEMA),
  nft: z.strictObject({
    /**
     * The table blocks, in listing order: `key` (family name, for people) and either `text`, the sha256 naming
     * the block's text in the table store, or `inline`, the text itself (a table under INLINE_BELOW characters:
     * a file of its own would cost an fsync and save nothing worth it).
     */
    tables: z.array(
      z.union([
        z.strictObject({
          key: z.string(),
          text: z.string().regex(/^[0-9a-f]{64}$/),
          /** Whether the table holds datapath-updated content (src/snapshot/table-blocks.ts volatileTable), when known. */
          volatile: z.boolean().optional(),
        }),
        z.strictObject({ key: z.string(), inline: z.string() }),
      ]),
    ),
    json: z.string().nullable(),
  }),
});
export type StoredTablesT = z.infer<typeof StoredTables>;

export const StoredSnapshot = z.discriminatedUnion('schema', [Snapshot, StoredTables]);
export type StoredSnapshotT = z.infer<typeof StoredSnapshot>;

/** The file form of a snapshot: its tables' texts stored first (fsynced), named here. */
export function encodeSnapshot(snapshot: SnapshotT, tables: TableStore): StoredSnapshotT {
  const blocks = tableBlocks(snapshot.nft.text);
  // Anything outside the table blocks (never in nft's listings) would be lost: such a listing is kept whole.
  if (blocks.map((b) => b.raw).join('') !== snapshot.nft.text) return snapshot;
  const big = blocks.filter((b) => b.raw.length >= INLINE_BELOW);
  const stored = tables.put(big.map((b) => b.raw));
  const names = new Map(big.map((b, i) => [b, stored[i]!] as const));
  return {
    ...snapshot,
    schema: STORED_SNAPSHOT_SCHEMA,
    nft: {
      tables: blocks.map((b) => {
        const name = names.get(b);
        if (name === undefined) return { key: b.key, inline: b.raw };
        const volatile = tables.knownVolatile(name);
        return { key: b.key, text: name, ...(volatile === undefined ? {} : { volatile }) };
      }),
      json: snapshot.nft.json,
    },
  };
}

/** The snapshot a file stands for: its tables' texts read (each checked against its name). */
export function decodeSnapshot(stored: StoredSnapshotT, tables: TableStore, version: number): SnapshotT {
  if (stored.schema === 1) return stored;
  const text = stored.nft.tables
    .map((t) => {
      if ('inline' in t) return t.inline;
      if (t.volatile !== undefined) tables.noteVolatile(t.text, t.volatile);
      return tables.get(t.text, version);
    })
    .join('');
  return { ...stored, schema: 1, nft: { text, json: stored.nft.json } };
}
