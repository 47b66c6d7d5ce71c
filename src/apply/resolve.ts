import { HistoryStore } from '../history/store.js';
import type { RollbackReason } from '../history/schema.js';
import type { z } from 'zod';
import { readPending, releaseOwnClaim } from '../pending/store.js';
import type { PendingRecordT } from '../pending/schema.js';
import { monoNowNs } from '../pending/clock.js';
import { acquireClaim } from './claim.js';
import { executeRollback, type EarlyListing } from './execute-rollback.js';
import { recordOutcome, releaseChange } from './outcome.js';
import type { RolledBackT } from '../contracts/rollback.js';

export type Reason = z.infer<typeof RollbackReason>;

export type RollbackAttempt = RolledBackT | { status: 'none' } | { status: 'busy'; changeId: string };

/** Rolls the pending change back now and records why. Safe against concurrent confirm/rollback (claim). */
export async function rollbackPending(options: {
  stateDir?: string | null;
  reason: Reason;
  changeId?: string;
  applyError?: string;
  listedEarlier?: EarlyListing;
}): Promise<RollbackAttempt> {
  const store = new HistoryStore(options.stateDir);
  const pending = readPending(store.paths);
  if (pending === null || (options.changeId !== undefined && pending.changeId !== options.changeId))
    return { status: 'none' };
  if (!acquireClaim(store.paths, pending.changeId, `rollback:${options.reason}`))
    return { status: 'busy', changeId: pending.changeId };
  try {
    // Re-read under the claim: it may have been resolved between our read and the claim.
    const current = readPending(store.paths);
    if (current === null || current.changeId !== pending.changeId) return { status: 'none' };
    // Its record already says how it ended (a confirm that could not clear the pending record): honour it.
    const recorded = current.versionId === null ? null : store.get(current.versionId).change;
    if (recorded !== null && recorded.state !== 'pending') {
      releaseChange(store, current);
      return { status: 'none' };
    }
    return await rollbackClaimed(store, current, options.reason, options.applyError, options.listedEarlier);
  } finally {
    releaseOwnClaim(store.paths);
  }
}

/** The rollback itself, for a caller holding the claim. */
export async function rollbackClaimed(
  store: HistoryStore,
  pending: PendingRecordT,
  reason: Reason,
  applyError?: string,
  listedEarlier?: EarlyListing,
): Promise<RolledBackT> {
  const exec = await executeRollback(pending, listedEarlier);
  const afterDeadlineMs = Number(monoNowNs() - BigInt(pending.deadlineMonoNs)) / 1e6;
  const now = new Date().toISOString();
  const errors = [applyError, exec.error ? `rollback failed: ${exec.error}` : undefined].filter(
    (e): e is string => e !== undefined,
  );
  // What the rollback overwrote, said alike by the record and the journal.
  const overwrote = {
    overwritten: exec.overwritten,
    ...(exec.overwrittenObjects.length > 0 ? { overwrittenObjects: exec.overwrittenObjects } : {}),
  };
  const version = recordOutcome(store, pending, {
    // A change the kernel refused never took effect: 'failed', not 'rolled-back'.
    state: exec.error || applyError !== undefined ? 'failed' : 'rolled-back',
    rolledBackAt: now,
    rollbackReason: reason,
    ...overwrote,
    ...(exec.compared ? {} : { overwrittenUnknown: true }),
    rollbackMethod: exec.method,
    kept: exec.kept,
    conflict: exec.conflict,
    error: errors.length > 0 ? errors.join('; ') : null,
    note:
      exec.note ??
      (exec.restored ? null : 'The previous rules were already live (restored earlier); nothing was rewritten.'),
  });
  store.journal({
    event: exec.error ? 'change-rollback-failed' : 'change-rolled-back',
    changeId: pending.changeId,
    version: version.id,
    reason,
    ...overwrote,
    ...(exec.compared ? {} : { compared: false }),
    restored: exec.restored,
    method: exec.method,
    kept: exec.kept,
    ...(exec.conflict ? { conflict: exec.conflict } : {}),
    afterDeadlineMs: Math.round(afterDeadlineMs),
    durationMs: exec.durationMs,
    ...(exec.error ? { error: exec.error } : {}),
    ...(exec.note ? { note: exec.note } : {}),
  });
  releaseChange(store, pending);
  return {
    status: exec.error ? 'rollback-failed' : 'rolled-back',
    changeId: pending.changeId,
    versionId: version.id,
    reason,
    overwritten: exec.overwritten,
    overwrittenObjects: exec.overwrittenObjects,
    kept: exec.kept,
    restored: exec.restored,
    rolledBackAt: now,
    error: exec.error,
    afterDeadlineMs: Math.round(afterDeadlineMs),
    durationMs: exec.durationMs,
  };
}

export { busyError, noPendingChange } from './resolve-errors.js';
