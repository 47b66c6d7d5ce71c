import { z } from 'zod';
import { ChangeState, RollbackReason } from '../history/schema.js';

/** `fwsafe apply --json` (with --no-wait: state "pending"). */
export const schema = z.strictObject({
  changeId: z.string(),
  versionId: z.number().int(),
  baseVersion: z.number().int(),
  state: ChangeState,
  deadline: z.string(),
  timeoutSec: z.number().int(),
  touchedTables: z.array(z.string()),
  watchdogPid: z.number().int().nullable(),
  systemdBackstop: z.boolean(),
  rollbackReason: RollbackReason.nullable(),
  overwritten: z.array(z.string()),
  persistPath: z.string().nullable(),
  persistedTo: z.string().nullable(),
  /** What to run from a NEW session to keep the change. */
  confirmWith: z.string(),
  /** What went wrong on the way (a rollback that failed, a persistent file not written). */
  error: z.string().nullable().optional(),
});
export type ApplyResultT = z.infer<typeof schema>;
