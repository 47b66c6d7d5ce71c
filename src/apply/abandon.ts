import type { HistoryStore } from '../history/store.js';
import { readPending, releaseOwnClaim } from '../pending/store.js';
import { acquireClaim } from './claim.js';
import { observeTouched } from './execute-rollback.js';
import { describeDifferences } from './observe.js';
import { recordOutcome, releaseChange } from './outcome.js';

export interface Abandoned {
  /** Tables found different from before the attempt (someone else's doing: left as they are); null: not checked. */
  differing: string[] | null;
  note: string;
}

/**
 * Ends a change that never reached the kernel (nft rejected it — one transaction, so nothing was applied —
 * or the watchdog did not start before it was sent): checks the touched tables against the kernel,
 * records "failed", and restores nothing, so counters, quotas and others' changes stay as they are.
 */
export async function abandonPending(store: HistoryStore, changeId: string, why: string): Promise<Abandoned | null> {
  if (!acquireClaim(store.paths, changeId, 'abandon')) return null;
  try {
    const current = readPending(store.paths);
    if (current === null || current.changeId !== changeId) return null;
    let differing: string[] | null = null;
    let note: string;
    try {
      differing = current.before ? describeDifferences(current.before, await observeTouched(current)) : null;
      note =
        differing === null
          ? 'Nothing was sent to the kernel; the touched tables were not compared (no record of them before).'
          : differing.length === 0
            ? 'Checked against the kernel: the touched tables are as before; nothing was restored.'
            : `Not restored (fwsafe did not change them), but these differ from before the attempt: ${differing.join('; ')}`;
    } catch (error) {
      note = `Could not check the touched tables against the kernel: ${(error as Error).message}`;
    }
    recordOutcome(store, current, { state: 'failed', rollbackReason: 'apply-failed', error: why, note });
    try {
      store.journal({ event: 'change-failed', changeId, version: current.versionId ?? undefined, error: why, note });
    } catch {
      // the version record holds the outcome
    }
    releaseChange(store, current);
    return { differing, note };
  } finally {
    releaseOwnClaim(store.paths);
  }
}
