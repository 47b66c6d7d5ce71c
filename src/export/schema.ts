import { z } from 'zod';
import { Snapshot } from '../snapshot/schema.js';
import { Where } from '../host/identity.js';

export const EXPORT_FORMAT = 'fwsafe-export';
export const EXPORT_VERSION = 1;

/**
 * A host's live ruleset as a self-contained base for review (`fwsafe export`, read by `plan --against`):
 * every backend's rules and the content hash `apply --plan` compares the live ruleset with. It holds
 * rules only: no counters' meaning beyond the numbers, no secrets, nothing of the state directory.
 */
export const ExportDocument = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exportedAt: z.string(),
  netns: z.string().nullable(),
  /** Host and namespace exported (src/host/identity.ts): a plan made against it applies only there. */
  where: Where.optional(),
  /** The content hash of the live ruleset (same function as a version's): what drift is checked against. */
  hash: Snapshot.shape.hash,
  nft: z.string(),
  iptablesNft: Snapshot.shape.iptablesNft,
  iptablesLegacy: Snapshot.shape.iptablesLegacy,
  firewalld: Snapshot.shape.firewalld,
  summary: Snapshot.shape.summary,
});
export type ExportDocumentT = z.infer<typeof ExportDocument>;
