import { z } from 'zod';
import { RewrittenTable } from '../history/schema.js';
import { StaleReason } from '../pending/schema.js';

/** The pending change as `status` describes it (src/apply/status.ts). */
export const PendingStatus = z.strictObject({
  changeId: z.string(),
  versionId: z.number().int().nullable(),
  baseVersion: z.number().int(),
  netns: z.string().nullable(),
  createdAt: z.string(),
  message: z.string(),
  deadline: z.string(),
  secondsLeft: z.number(),
  timeoutSec: z.number().int(),
  /** Guard 1's pid (the one armed at apply, or its replacement). */
  watchdogPid: z.number().int().nullable(),
  /** Is at least one guard alive? */
  watchdogAlive: z.boolean(),
  /** Both guards: each watches the other and re-arms it; either rolls back at the deadline. */
  guards: z.array(z.strictObject({ slot: z.number().int(), pid: z.number().int().nullable(), alive: z.boolean() })),
  /** The applying fwsafe still waiting at its terminal: it rolls back at the deadline when no guard is left. */
  waitingCliPid: z.number().int().nullable(),
  touchedTables: z.array(z.string()),
  persistPath: z.string().nullable(),
  /** Why this change needs `fwsafe recover`, or null when its watchdog has it in hand. */
  stale: StaleReason.nullable(),
});
export type PendingStatusT = z.infer<typeof PendingStatus>;

/** `fwsafe status --json` */
export const schema = z.strictObject({
  pending: PendingStatus.nullable(),
  /** Tables fwsafe changed that no longer match their last confirmed version (a manager rewrote them). */
  rewritten: z.array(RewrittenTable).optional(),
});
export type StatusResultT = z.infer<typeof schema>;
