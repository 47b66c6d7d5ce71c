import { z } from 'zod';
import { Generation } from '../backends/nft-generation.js';

export const SNAPSHOT_SCHEMA = 1;

export const BackendSummary = z.object({
  nftTables: z.number().int().nonnegative(),
  nftRules: z.number().int().nonnegative(),
  iptablesNft: z.boolean(),
  iptablesLegacy: z.boolean(),
  firewalld: z.boolean(),
});
export type BackendSummaryT = z.infer<typeof BackendSummary>;

/** Everything one snapshot records, per backend. Stored beside the version record. */
export const Snapshot = z.strictObject({
  schema: z.literal(SNAPSHOT_SCHEMA),
  takenAt: z.string(),
  netns: z.string().nullable(),
  /** sha256 of the normalised nft text + legacy rules (handles and counters stripped). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** `nft -a list ruleset`, and `nft -j list ruleset` when it was taken (null: a text-only record, see take.ts). */
  nft: z.strictObject({ text: z.string(), json: z.string().nullable() }),
  iptablesNft: z.strictObject({ v4: z.string().nullable(), v6: z.string().nullable() }),
  iptablesLegacy: z.strictObject({ v4: z.string().nullable(), v6: z.string().nullable() }),
  firewalld: z
    .strictObject({
      state: z.string(),
      defaultZone: z.string().nullable(),
      activeZones: z.array(
        z.strictObject({
          name: z.string(),
          interfaces: z.array(z.string()),
          sources: z.array(z.string()),
          services: z.array(z.string()),
          ports: z.array(z.string()),
          richRules: z.array(z.string()),
        }),
      ),
    })
    .nullable(),
  summary: BackendSummary,
  /** The nft generation the listing was taken at (read before and after it, equal): proves later that nothing changed. */
  generation: Generation.optional(),
  /** Tables whose text was taken from an earlier version, the generation proving them unchanged (counters as of then). */
  reused: z.strictObject({ version: z.number().int().positive(), tables: z.array(z.string()) }).optional(),
  /** Only these tables were listed (a plan's or a drift check's listing, held in memory; never stored as a version). */
  listedTables: z.array(z.string()).optional(),
});
export type SnapshotT = z.infer<typeof Snapshot>;
