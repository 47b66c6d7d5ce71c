import { existsSync } from 'node:fs';
import { HistoryStore } from '../history/store.js';
import { readClaim, readLock, readPending, releaseClaim, releaseLock } from '../pending/store.js';
import { processAlive } from '../pending/clock.js';
import { releaseChange } from './outcome.js';
import { busyError, rollbackPending } from './resolve.js';
import { staleReason } from './status.js';
import type { RecoverResultT } from '../contracts/recover.js';

/**
 * After a crash or at boot: rolls back a pending change nobody guards any more (deadline passed,
 * watchdog gone, host rebooted) and clears leftovers of dead processes. A guarded change is left alone.
 */
export async function recover(options: { stateDir?: string | null }): Promise<RecoverResultT> {
  const store = new HistoryStore(options.stateDir);
  const cleaned: string[] = [];
  const pending = readPending(store.paths);
  if (pending === null) {
    const lock = readLock(store.paths);
    // An unreadable lock is a torn write of a crashed process.
    if (lock === null ? existsSync(store.paths.lock) : !processAlive(lock)) {
      releaseLock(store.paths);
      cleaned.push('lock left by a dead process');
    }
    const claim = readClaim(store.paths);
    if (claim !== null && !processAlive(claim)) {
      releaseClaim(store.paths);
      cleaned.push('claim left by a dead process');
    }
    return { found: 'nothing', stale: null, changeId: null, result: null, cleaned };
  }
  const stale = staleReason(pending, store.paths);
  if (stale === null) return { found: 'guarded', stale: null, changeId: pending.changeId, result: null, cleaned };
  // Crashed after recording the outcome but before cleaning up: only the clean-up is left.
  const recorded = pending.versionId === null ? null : store.get(pending.versionId).change;
  if (recorded !== null && recorded.state !== 'pending') {
    releaseChange(store, pending);
    cleaned.push(`pending record of settled change ${pending.changeId}`);
    return { found: 'stale', stale, changeId: pending.changeId, result: null, cleaned };
  }
  const attempt = await rollbackPending({ stateDir: store.paths.root, reason: 'recover', changeId: pending.changeId });
  if (attempt.status === 'busy') throw busyError(pending.changeId);
  return {
    found: 'stale',
    stale,
    changeId: pending.changeId,
    result: attempt.status === 'none' ? null : attempt,
    cleaned,
  };
}
