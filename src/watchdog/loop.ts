import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryStore } from '../history/store.js';
import { readPending, readyPath, watchdogLogPath } from '../pending/store.js';
import { monoNowNs } from '../pending/clock.js';
import { appendLine, writeFileAtomic } from '../state/fs-safe.js';
import { rollbackPending, type Reason } from '../apply/resolve.js';
import { takeOverStuckClaim } from '../apply/claim.js';
import { executeRollback, observeTouched } from '../apply/execute-rollback.js';
import type { Fingerprint } from '../apply/observe.js';
import type { PendingRecordT } from '../pending/schema.js';

// Re-read the pending record this often; the deadline itself is slept to exactly.
const POLL_MS = 100;
// Listing large touched tables (to report what the rollback overwrites) takes time: do it this long
// before the deadline, so the restore itself starts on time. A change in the last second is still
// restored, just not reported as overwritten.
const PRELIST_MIN_NS = 1_000_000_000n;
// Listing costs roughly 60 µs per line of nft text on these machines (3 s for 50k rules): start early
// enough for the tables at hand.
const prelistNs = (p: PendingRecordT): bigint => {
  const lines = BigInt(p.expectedText.split('\n').length);
  const estimate = lines * 80_000n;
  return estimate > PRELIST_MIN_NS ? estimate : PRELIST_MIN_NS;
};

// Past the deadline, a confirm or rollback holding the claim this long is taken over (docs/security.md).
export const CLAIM_BOUND_NS = 15_000_000_000n;

function log(store: HistoryStore, text: string): void {
  try {
    appendLine(watchdogLogPath(store.paths), `${new Date().toISOString()} [${process.pid}] ${text}`);
  } catch {
    // logging must never stop a rollback
  }
}

function fileTag(path: string): string | null {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch {
    return null;
  }
}

/** Guards one change until it is confirmed, rolled back by someone, or its deadline passes. Returns an exit code. */
export async function runWatchdog(stateDir: string, changeId: string): Promise<number> {
  const store = new HistoryStore(stateDir);
  let pending: PendingRecordT | null = readPending(store.paths);
  if (pending === null || pending.changeId !== changeId) return 0;
  let tag = fileTag(store.paths.pending);
  writeFileAtomic(readyPath(store.paths, changeId), `${process.pid}\n`);
  log(store, `armed for ${changeId}, deadline ${pending.deadline}`);
  let listedEarlier: Promise<Fingerprint | null> | undefined;
  let listedFor: string | undefined;
  for (;;) {
    const nowTag = fileTag(store.paths.pending);
    if (nowTag === null) {
      log(store, `${changeId} resolved by another process; standing down`);
      return 0;
    }
    if (nowTag !== tag) {
      tag = nowTag;
      try {
        pending = readPending(store.paths);
      } catch (error) {
        // A record we cannot read is never a reason to keep a change: keep the last good one.
        log(store, `unreadable pending record, keeping the last good one: ${(error as Error).message}`);
      }
      if (pending === null || pending.changeId !== changeId) return 0;
    }
    const request: Reason | null = pending.rollbackRequest;
    const remainingNs = BigInt(pending.deadlineMonoNs) - monoNowNs();
    if (request === null && remainingNs <= prelistNs(pending) && listedFor !== pending.deadlineMonoNs) {
      listedFor = pending.deadlineMonoNs;
      const p = pending;
      listedEarlier = observeTouched(p).catch(() => null);
    }
    if (request !== null || remainingNs <= 0n) {
      const reason: Reason = request ?? 'timeout';
      let result;
      try {
        result = await rollbackPending({ stateDir, reason, changeId, listedEarlier: reason === 'timeout' && listedFor === pending.deadlineMonoNs ? listedEarlier : undefined });
      } catch (error) {
        // The state store failed us: the kernel still must be restored, from the record in memory.
        log(store, `${changeId}: recording failed (${(error as Error).message}); running the rollback from memory`);
        const exec = await executeRollback(pending);
        log(store, `${changeId}: rollback from memory: ${JSON.stringify(exec)}`);
        return 1;
      }
      if (result.status === 'busy') {
        // Someone else is resolving it; past the deadline only for so long (a hung confirm, a stale claim).
        const took = remainingNs <= 0n ? takeOverStuckClaim(store.paths, CLAIM_BOUND_NS) : null;
        if (took) log(store, `${changeId}: ${took}`);
        await sleep(20);
        continue;
      }
      log(store, `${changeId}: ${JSON.stringify(result)}`);
      return result.status === 'rollback-failed' ? 1 : 0;
    }
    const untilPrelist = remainingNs - prelistNs(pending);
    await sleep(Math.max(1, Math.min(POLL_MS, Number((untilPrelist > 0n ? untilPrelist : remainingNs) / 1_000_000n))));
  }
}
