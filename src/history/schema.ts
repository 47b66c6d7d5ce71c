import { z } from 'zod';
import { BackendSummary } from '../snapshot/schema.js';
import { ConfirmVia } from '../session/schema.js';
import { Where } from '../host/identity.js';
import { FormatId } from '../formats/types.js';

export const VERSION_SCHEMA = 1;

export const VersionKind = z.enum(['snapshot', 'apply', 'restore']);
export const ChangeState = z.enum(['pending', 'confirmed', 'rolled-back', 'failed']);
export const RollbackReason = z.enum(['timeout', 'hangup', 'interrupt', 'manual', 'recover', 'apply-failed']);
/** How a change was undone: the inverse of its operations, or the touched tables restored whole. */
export const RollbackMethod = z.enum(['inverse', 'whole-table']);
export type ChangeStateT = z.infer<typeof ChangeState>;
export type RollbackMethodT = z.infer<typeof RollbackMethod>;

export const Actor = z.strictObject({
  user: z.string(),
  host: z.string(),
  /** Source address of the SSH session (from SSH_CONNECTION), when there is one. */
  from: z.string().nullable(),
});
export type ActorT = z.infer<typeof Actor>;

export const ChangeOutcome = z.strictObject({
  state: ChangeState,
  changeId: z.string(),
  baseVersion: z.number().int().nullable(),
  touchedTables: z.array(z.string()),
  deadline: z.string().nullable(),
  confirmedAt: z.string().nullable(),
  confirmedBy: Actor.nullable(),
  /** How it was confirmed and which connection did it (absent in records made before fwsafe recorded it). */
  confirmedVia: ConfirmVia.nullable().optional(),
  rolledBackAt: z.string().nullable(),
  rollbackReason: RollbackReason.nullable(),
  /** What the rollback overwrote: tables changed by someone else during the window. */
  overwritten: z.array(z.string()),
  /**
   * What the rollback overwrote, object by object (nft): each chain or set it restored whole (alone after a
   * conflict, or with its table), with the rules or elements others added that it removed (`lost`), the ones
   * they deleted that it put back (`putBack`), and whether the object itself was theirs (`removed`).
   */
  overwrittenObjects: z
    .array(
      z.strictObject({
        table: z.string(),
        object: z.string(),
        lost: z.array(z.string()),
        putBack: z.array(z.string()),
        removed: z.boolean(),
      }),
    )
    .optional(),
  /** True when the rollback had no time to compare the touched tables first: `overwritten` is unknown. */
  overwrittenUnknown: z.boolean().optional(),
  /** How it was undone: the inverse of the change's operations, or the touched tables restored whole. */
  rollbackMethod: RollbackMethod.nullable().optional(),
  /** Touched tables someone else changed during the window whose changes the (inverse) rollback kept. */
  kept: z.array(z.string()).optional(),
  /** Why the inverse could not run (an object it needed was changed or gone), when it fell back. */
  conflict: z.string().nullable().optional(),
  persistedTo: z.string().nullable(),
  error: z.string().nullable(),
  /** Set when the change was confirmed but writing the persistent file failed (retry: fwsafe confirm ID). */
  persistError: z.string().nullable().optional(),
  /** Where the confirmation is to be persisted (kept so a failed write can be retried). */
  persistPath: z.string().nullable().optional(),
  /** The proposal's format when not nft (with a persistPath): its runtime writes the file, also on a retry. */
  format: FormatId.optional(),
  /** With `format`: what the change left (FormatRuntime.expectedText), the file is rendered and checked from it. */
  expectedText: z.string().optional(),
  /** What else the record should say about how the change ended (e.g. nothing needed rewriting). */
  note: z.string().nullable().optional(),
});
export type ChangeOutcomeT = z.infer<typeof ChangeOutcome>;

/** The small per-version record (`versions/NNNNNN.json`); content lives beside it. */
export const VersionRecord = z.strictObject({
  schema: z.literal(VERSION_SCHEMA),
  id: z.number().int().positive(),
  kind: VersionKind,
  createdAt: z.string(),
  actor: Actor,
  message: z.string(),
  netns: z.string().nullable(),
  /** Host and namespace identity (absent in records written before it was kept). */
  where: Where.optional(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  summary: BackendSummary,
  change: ChangeOutcome.nullable(),
});
export type VersionRecordT = z.infer<typeof VersionRecord>;

/** A table fwsafe changed that no longer matches its last confirmed version (a manager rewrote it). */
export const RewrittenTable = z.strictObject({
  table: z.string(),
  netns: z.string().nullable(),
  /** The confirmed version the table no longer matches. */
  version: z.number().int(),
  confirmedAt: z.string(),
  now: z.enum(['changed', 'missing']),
});
export type RewrittenTableT = z.infer<typeof RewrittenTable>;

export const JournalEvent = z.looseObject({
  at: z.string(),
  event: z.string(),
  version: z.number().int().optional(),
  changeId: z.string().optional(),
});
export type JournalEventT = z.infer<typeof JournalEvent>;
