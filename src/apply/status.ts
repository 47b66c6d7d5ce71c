import { statePaths, type StatePaths } from '../state/paths.js';
import { readLock, readPending } from '../pending/store.js';
import type { PendingRecordT } from '../pending/schema.js';
import { bootId, processAlive, secondsLeft } from '../pending/clock.js';
import { guardStates, type GuardState } from '../watchdog/guard-files.js';

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
  /** Guard 1's pid (the one armed at apply, or its replacement). */
  watchdogPid: number | null;
  /** Is at least one guard alive? */
  watchdogAlive: boolean;
  /** Both guards: each watches the other and re-arms it; either rolls back at the deadline. */
  guards: GuardState[];
  /** The applying fwsafe still waiting at its terminal: it rolls back at the deadline when no guard is left. */
  waitingCliPid: number | null;
  touchedTables: string[];
  persistPath: string | null;
  /** Why this change needs `fwsafe recover`, or null when its watchdog has it in hand. */
  stale: StaleReason | null;
}

export interface StatusResult {
  pending: PendingStatus | null;
  /** Tables fwsafe changed that no longer match their last confirmed version (absent: nothing recorded). */
  rewritten?: import('../history/confirmed-tables.js').RewrittenTable[];
}

/** Adds the rewritten-table check when fwsafe has confirmed changes recorded (one nft listing per table). */
export async function withRewritten(result: StatusResult, stateDir?: string | null): Promise<StatusResult> {
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
): StaleReason | null {
  if (pending.bootId && pending.bootId !== bootId()) return 'rebooted';
  if (secondsLeft(pending.deadlineMonoNs) < -DEADLINE_GRACE_S) return 'deadline-passed';
  if (guards.some((g) => g.alive)) return null;
  if (applyingPid(paths) !== null) return null;
  return 'watchdog-gone';
}

export function describePending(pending: PendingRecordT, paths: StatePaths): PendingStatus {
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

export function pendingStatus(options: { stateDir?: string | null }): StatusResult {
  const paths = statePaths(options.stateDir);
  const pending = readPending(paths);
  return { pending: pending === null ? null : describePending(pending, paths) };
}
