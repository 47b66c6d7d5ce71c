import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryStore } from '../history/store.js';
import { claimPath, pendingExists, readClaim, readLock, readPending, watchdogLogPath } from '../pending/store.js';
import { monoNowNs, processAlive as processAliveId } from '../pending/clock.js';
import { appendLine } from '../state/fs-safe.js';
import { rollbackPending, type Reason } from '../apply/resolve.js';
import { takeOverStuckClaim } from '../apply/claim.js';
import { executeRollback, observeTouchedListed, onTime, type EarlyListing } from '../apply/execute-rollback.js';
import type { PendingRecordT } from '../pending/schema.js';
import type { StatePaths } from '../state/paths.js';
import { otherSlot, readGuardRecord, writeGuardRecord, type GuardSlot } from './guard-files.js';
import { processAlive } from './proc-stat.js';
import { checkedSpawnGuard, type SpawnedGuard } from './arm.js';

// Re-read the pending record (and look at the other guard) this often; the deadline itself is slept to exactly.
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
// Both guards start together at apply: the other one may not have written its slot file yet.
const STARTUP_GRACE_MS = 1_500;
// A replacement that has not said it is ready by then is started again.
const REPLACE_WAIT_MS = 3_000;
// A replacement that exited without arming is tried again after this long.
const RESPAWN_BACKOFF_MS = 1_000;
// No node start-up competes with the rollback for the CPU in the last second before the deadline.
const NO_REARM_NS = 1_000_000_000n;
// The second guard leaves the deadline to the first while that one lives; it steps in if the first
// has neither claimed nor settled the change this long after the deadline (stuck, or dying right then).
const SECONDARY_GRACE_NS = 200_000_000n;

// Past the deadline, a confirm or rollback holding the claim this long is taken over (docs/security.md).
export const CLAIM_BOUND_NS = 15_000_000_000n;

function log(paths: StatePaths, text: string): void {
  try {
    appendLine(watchdogLogPath(paths), `${new Date().toISOString()} [${process.pid}] ${text}`);
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

/**
 * Waits, cheaply (a stat and a small read every 20 ms), while a live process holds the resolve claim;
 * past the deadline, a claim held longer than CLAIM_BOUND_NS is taken over (its holder hangs).
 */
async function waitWhileClaimed(paths: StatePaths, deadlineMonoNs: string): Promise<void> {
  for (;;) {
    if (!pendingExists(paths) || !existsSync(claimPath(paths))) return;
    const holder = readClaim(paths);
    if (holder === null || !processAliveId(holder)) return;
    if (monoNowNs() >= BigInt(deadlineMonoNs)) {
      const took = takeOverStuckClaim(paths, CLAIM_BOUND_NS);
      if (took) {
        log(paths, took);
        return;
      }
    }
    await sleep(20);
  }
}

/** This guard's view of the other one: alive, or being re-armed by us. */
class PeerWatch {
  private replacing: SpawnedGuard | null = null;
  private replacingSince = 0;
  private readonly startedAt = Date.now();
  private readonly peer: GuardSlot;

  constructor(
    private readonly store: HistoryStore,
    private readonly changeId: string,
    slot: GuardSlot,
  ) {
    this.peer = otherSlot(slot);
  }

  /** True while the other guard runs; re-arms it when it is gone (not in the last second before the deadline). */
  check(remainingNs: bigint): boolean {
    const paths = this.store.paths;
    const record = readGuardRecord(paths, this.changeId, this.peer);
    if (record !== null && processAlive(record.pid, record.startTicks)) {
      if (this.replacing !== null && record.pid === this.replacing.pid) {
        log(paths, `${this.changeId}: guard ${this.peer} re-armed as pid ${record.pid}`);
        const by = process.pid;
        this.store.journal({ event: 'guard-rearmed', changeId: this.changeId, slot: this.peer, pid: record.pid, by });
      }
      this.replacing = null;
      return true;
    }
    if (this.replacing !== null) {
      // Starting: give it time. Died at once (no pending record for it, a broken install): no spawn storm.
      const waited = Date.now() - this.replacingSince;
      if (waited < (this.replacing.exited() === null ? REPLACE_WAIT_MS : RESPAWN_BACKOFF_MS)) return false;
    }
    if (record === null && this.replacing === null && Date.now() - this.startedAt < STARTUP_GRACE_MS) return false;
    // The other one may have just stood down because the change was settled: nothing to re-arm then.
    if (remainingNs < NO_REARM_NS || !pendingExists(paths)) return false;
    log(paths, `${this.changeId}: guard ${this.peer} (pid ${record?.pid ?? '-'}) is gone; re-arming it`);
    if (this.replacing === null) {
      const pid = record?.pid ?? null;
      this.store.journal({ event: 'guard-lost', changeId: this.changeId, slot: this.peer, pid, seenBy: process.pid });
    }
    // Started asynchronously (the install check comes first); until then a placeholder counts as starting.
    const starting: SpawnedGuard = { slot: this.peer, pid: 0, exited: () => null };
    this.replacing = starting;
    checkedSpawnGuard(paths, this.changeId, this.peer).then(
      (spawned) => {
        if (this.replacing === starting) this.replacing = spawned;
      },
      (error: Error) => {
        log(paths, `${this.changeId}: could not start a replacement: ${error.message}`);
        if (this.replacing === starting) this.replacing = { ...starting, exited: () => -1 };
      },
    );
    this.replacingSince = Date.now();
    return false;
  }
}

/**
 * One of the two guards of a change: holds it until it is confirmed, rolled back by someone, or its
 * deadline passes; watches the other guard and re-arms it when it dies. Returns an exit code.
 */
// A guard started while its change is still being planned (src/apply/gate.ts) waits this often for it;
// less often once the plan takes long (an admin answering a question).
const AWAIT_PENDING_MS = 10;
const AWAIT_PENDING_SLOW_MS = 100;
const AWAIT_FAST_FOR_MS = 3_000;

/**
 * The change's pending record. Guards are started as soon as apply holds the lock, while the change is
 * still being planned (their start-up then costs the apply nothing): until the record is written they
 * only wait, and they leave once the lock no longer names the change or its holder is gone.
 */
async function awaitPending(paths: StatePaths, changeId: string): Promise<PendingRecordT | null> {
  const started = Date.now();
  for (;;) {
    const pending = readPending(paths);
    if (pending !== null) return pending.changeId === changeId ? pending : null;
    const lock = readLock(paths);
    if (lock === null || lock.changeId !== changeId || !processAliveId(lock)) {
      const last = readPending(paths);
      return last?.changeId === changeId ? last : null;
    }
    await sleep(Date.now() - started < AWAIT_FAST_FOR_MS ? AWAIT_PENDING_MS : AWAIT_PENDING_SLOW_MS);
  }
}

export async function runWatchdog(stateDir: string, changeId: string, slot: GuardSlot = 1): Promise<number> {
  const store = new HistoryStore(stateDir);
  const paths = store.paths;
  let pending: PendingRecordT | null = await awaitPending(paths, changeId);
  if (pending === null) return 0;
  let tag = fileTag(paths.pending);
  writeGuardRecord(paths, changeId, slot);
  log(paths, `guard ${slot} armed for ${changeId}, deadline ${pending.deadline}`);
  const peer = new PeerWatch(store, changeId, slot);
  let listedEarlier: EarlyListing | undefined;
  let listedFor: string | undefined;
  for (;;) {
    const nowTag = fileTag(paths.pending);
    if (nowTag === null) {
      log(paths, `${changeId} resolved by another process; guard ${slot} standing down`);
      return 0;
    }
    if (nowTag !== tag) {
      tag = nowTag;
      try {
        pending = readPending(paths);
      } catch (error) {
        // A record we cannot read is never a reason to keep a change: keep the last good one.
        log(paths, `unreadable pending record, keeping the last good one: ${(error as Error).message}`);
      }
      if (pending === null || pending.changeId !== changeId) return 0;
    }
    // Two guards for one slot (we and a replacement someone else started): the one the file names stays.
    const mine = readGuardRecord(paths, changeId, slot);
    if (mine !== null && mine.pid !== process.pid && processAlive(mine.pid, mine.startTicks)) {
      log(paths, `${changeId}: pid ${mine.pid} holds guard slot ${slot}; standing down`);
      return 0;
    }
    const request: Reason | null = pending.rollbackRequest;
    const remainingNs = BigInt(pending.deadlineMonoNs) - monoNowNs();
    const peerAlive = peer.check(request === null ? remainingNs : 0n);
    // Slot 1 acts at the deadline; slot 2 only when slot 1 is gone (or stuck): no double work at the deadline.
    const primary = slot === 1 || !peerAlive;
    if (primary && request === null && remainingNs <= prelistNs(pending) && listedFor !== pending.deadlineMonoNs) {
      listedFor = pending.deadlineMonoNs;
      // Taking over late (guard 1 died in the last moments): a listing would still run at the deadline and
      // slow the restore down; restore without comparing instead (the record says so).
      if (remainingNs < prelistNs(pending) / 2n) {
        const ms = Number(remainingNs / 1_000_000n);
        log(paths, `${changeId}: guard ${slot} took over ${ms} ms before the deadline; no time to compare first`);
        listedEarlier = Promise.resolve('not-compared');
        continue;
      }
      const p = pending;
      listedEarlier = observeTouchedListed(p).catch(() => null);
    }
    if (request !== null || remainingNs <= 0n) {
      if (!primary && request === null && remainingNs > -SECONDARY_GRACE_NS) {
        await sleep(20);
        continue;
      }
      // Someone (the other guard, a confirm) is resolving it now: wait for them, cheaply, then look again.
      await waitWhileClaimed(paths, pending.deadlineMonoNs);
      if (!pendingExists(paths)) continue;
      const reason: Reason = request ?? 'timeout';
      let result;
      try {
        // At the deadline nothing waits for a listing (see onTime); a rollback asked for earlier compares as usual.
        const mine = listedFor === pending.deadlineMonoNs ? listedEarlier : undefined;
        const early = reason === 'timeout' ? onTime(mine) : undefined;
        result = await rollbackPending({ stateDir, reason, changeId, listedEarlier: early });
      } catch (error) {
        // The state store failed us: the kernel still must be restored, from the record in memory.
        log(paths, `${changeId}: recording failed (${(error as Error).message}); running the rollback from memory`);
        const exec = await executeRollback(pending);
        log(paths, `${changeId}: rollback from memory: ${JSON.stringify(exec)}`);
        return 1;
      }
      if (result.status === 'busy') {
        await waitWhileClaimed(paths, pending.deadlineMonoNs);
        await sleep(5);
        continue;
      }
      log(paths, `${changeId}: guard ${slot}: ${JSON.stringify(result)}`);
      return result.status === 'rollback-failed' ? 1 : 0;
    }
    const untilPrelist = remainingNs - prelistNs(pending);
    await sleep(Math.max(1, Math.min(POLL_MS, Number((untilPrelist > 0n ? untilPrelist : remainingNs) / 1_000_000n))));
  }
}
