import { statePaths, type StatePaths } from '../state/paths.js';
import { readLock, readPending } from '../pending/store.js';
import type { PendingRecordT, StaleReasonT } from '../pending/schema.js';
import type { PendingStatusT, StatusResultT } from '../contracts/status.js';
import { bootId, processAlive, secondsLeft } from '../pending/clock.js';
import { guardStates } from '../watchdog/guard-files.js';

/** Adds the rewritten-table check when fwsafe has confirmed changes recorded (one nft listing per table). */
export async function withRewritten(result: StatusResultT, stateDir?: string | null): Promise<StatusResultT> {
  const { hasConfirmedTables, rewrittenTables } = await import('../history/confirmed-tables.js');
  const paths = statePaths(stateDir);
  if (!hasConfirmedTables(paths)) return result;
  return { ...result, rewritten: await rewrittenTables(paths) };
}

// The watchdog acts within ~0.1 s of the deadline; a change this late is one nobody is guarding.
const DEADLINE_GRACE_S = 3;

/** The applying process while it lives (arming the guards, or waiting at its terminal): it holds the lock. */
function applyingPid(paths: StatePaths): number | null {
  const lock = readLock(paths);
  return lock !== null && processAlive(lock) ? lock.pid : null;
}

/** Why a pending change is no longer guarded (no guard and no waiting CLI left), or null when it is. */
export function staleReason(
  pending: PendingRecordT,
  paths: StatePaths,
  guards = guardStates(paths, pending.changeId),
): StaleReasonT | null {
  if (pending.bootId && pending.bootId !== bootId()) return 'rebooted';
  if (secondsLeft(pending.deadlineMonoNs) < -DEADLINE_GRACE_S) return 'deadline-passed';
  if (guards.some((g) => g.alive)) return null;
  if (applyingPid(paths) !== null) return null;
  return 'watchdog-gone';
}

export function describePending(pending: PendingRecordT, paths: StatePaths): PendingStatusT {
  const guards = guardStates(paths, pending.changeId);
  const rebooted = pending.bootId !== '' && pending.bootId !== bootId();
  return {
    changeId: pending.changeId,
    versionId: pending.versionId,
    baseVersion: pending.baseVersion,
    netns: pending.netns,
    createdAt: pending.createdAt,
    message: pending.message,
    deadline: pending.deadline,
    // After a reboot the monotonic clock restarted: the stored value means nothing, the window is over.
    secondsLeft: rebooted ? 0 : Math.max(0, Math.round(secondsLeft(pending.deadlineMonoNs) * 10) / 10),
    timeoutSec: pending.timeoutSec,
    watchdogPid: guards[0]?.pid ?? pending.watchdogPid,
    watchdogAlive: guards.some((g) => g.alive),
    guards,
    waitingCliPid: applyingPid(paths),
    touchedTables: pending.touchedTables.map((t) => `${t.family} ${t.name}`),
    persistPath: pending.persistPath,
    stale: staleReason(pending, paths, guards),
  };
}

export function pendingStatus(options: { stateDir?: string | null }): StatusResultT {
  const paths = statePaths(options.stateDir);
  const pending = readPending(paths);
  return { pending: pending === null ? null : describePending(pending, paths) };
}
