import { z } from 'zod';
import { ChangeOutcome, RollbackReason } from '../history/schema.js';
import { schema as ApplyResult } from './apply.js';

/** A pending change rolled back (by `rollback`, `recover` or a guard): src/apply/resolve.ts. */
export const RolledBack = z.strictObject({
  status: z.enum(['rolled-back', 'rollback-failed']),
  changeId: z.string(),
  versionId: z.number().int(),
  reason: RollbackReason,
  overwritten: z.array(z.string()),
  /** What it overwrote object by object (see the history record's `overwrittenObjects`). */
  overwrittenObjects: ChangeOutcome.shape.overwrittenObjects,
  /** What others changed in the window that the (inverse) rollback kept. */
  kept: z.array(z.string()),
  /** False when the previous rules were found live already: nothing was rewritten. */
  restored: z.boolean(),
  rolledBackAt: z.string(),
  error: z.string().nullable(),
  /** How long after the deadline the rollback finished (negative: before it). */
  afterDeadlineMs: z.number(),
  durationMs: z.number(),
});
export type RolledBackT = z.infer<typeof RolledBack>;

/** `fwsafe rollback --json`: the pending change undone; with VERSION, a restore applied under a new window. */
export const schema = z.union([
  z.strictObject({ mode: z.literal('pending'), result: RolledBack }),
  z.strictObject({
    mode: z.literal('version'),
    restoredVersion: z.number().int(),
    /** Tables rewritten to their content at the version; tables fwsafe changes created later, deleted. */
    restored: z.array(z.string()),
    deleted: z.array(z.string()),
    /** Tables of other owners and tables someone else created since: never touched. */
    foreign: z.array(z.string()),
    notOurs: z.array(z.string()),
    /** The restore, applied under a new confirmation window: what `apply --json` says of it. */
    apply: ApplyResult,
  }),
  /** The tables fwsafe manages already match the version: nothing applied (exit 0). */
  z.strictObject({
    mode: z.literal('nothing'),
    restoredVersion: z.number().int(),
    foreign: z.array(z.string()),
    notOurs: z.array(z.string()),
  }),
]);
export type RollbackResultT = z.infer<typeof schema>;
