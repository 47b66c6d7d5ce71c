import { statePaths, type StatePaths } from '../state/paths.js';
import { readLock, readPending } from '../pending/store.js';
import type { PendingRecordT } from '../pending/schema.js';
import { bootId, processAlive, secondsLeft, watchdogAlive } from '../pending/clock.js';

export type StaleReason = 'rebooted' | 'deadline-passed' | 'watchdog-gone';

export interface PendingStatus {
  changeId: string;
  versionId: number | null;
  baseVersion: number;
  netns: string | null;
  createdAt: string;
  message: string;
  deadline: string;
  secondsLeft: number;
  timeoutSec: number;
  watchdogPid: number | null;
  watchdogAlive: boolean;
  touchedTables: string[];
  persistPath: string | null;
  /** Why this change needs `fwsafe recover`, or null when its watchdog has it in hand. */
  stale: StaleReason | null;
}

export interface StatusResult {
  pending: PendingStatus | null;
}

// The watchdog acts within ~0.1 s of the deadline; a change this late is one nobody is guarding.
const DEADLINE_GRACE_S = 3;

/** Why a pending change is no longer guarded, or null when it is. */
export function staleReason(pending: PendingRecordT, paths: StatePaths): StaleReason | null {
  if (pending.bootId && pending.bootId !== bootId()) return 'rebooted';
  if (secondsLeft(pending.deadlineMonoNs) < -DEADLINE_GRACE_S) return 'deadline-passed';
  if (watchdogAlive(pending.watchdogPid)) return null;
  // Still arming: the applying process holds the lock and starts the watchdog.
  const lock = readLock(paths);
  if (pending.watchdogPid === null && lock !== null && processAlive(lock)) return null;
  return 'watchdog-gone';
}

export function describePending(pending: PendingRecordT, paths: StatePaths): PendingStatus {
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
    watchdogPid: pending.watchdogPid,
    watchdogAlive: watchdogAlive(pending.watchdogPid),
    touchedTables: pending.touchedTables.map((t) => `${t.family} ${t.name}`),
    persistPath: pending.persistPath,
    stale: staleReason(pending, paths),
  };
}

export function pendingStatus(options: { stateDir?: string | null }): StatusResult {
  const paths = statePaths(options.stateDir);
  const pending = readPending(paths);
  return { pending: pending === null ? null : describePending(pending, paths) };
}
