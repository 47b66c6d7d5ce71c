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

export const StoredTables = Snapshot.omit({ schema: true, nft: true }).extend({
  schema: z.literal(STORED_SNAPSHOT_SCHEMA),
  nft: z.strictObject({
    /** The table blocks, in listing order: `key` (family name, for people) and `text`, the sha256 naming the block's text. */
    tables: z.array(
      z.strictObject({
        key: z.string(),
        text: z.string().regex(/^[0-9a-f]{64}$/),
        /** Whether the table holds datapath-updated content (src/snapshot/table-blocks.ts volatileTable), when known. */
        volatile: z.boolean().optional(),
      }),
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
  const names = tables.put(blocks.map((b) => b.raw));
  return {
    ...snapshot,
    schema: STORED_SNAPSHOT_SCHEMA,
    nft: {
      tables: blocks.map((b, i) => {
        const volatile = tables.knownVolatile(names[i]!);
        return { key: b.key, text: names[i]!, ...(volatile === undefined ? {} : { volatile }) };
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
      if (t.volatile !== undefined) tables.noteVolatile(t.text, t.volatile);
      return tables.get(t.text, version);
    })
    .join('');
  return { ...stored, schema: 1, nft: { text, json: stored.nft.json } };
}
