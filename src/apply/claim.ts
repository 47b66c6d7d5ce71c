import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { StatePaths } from '../state/paths.js';
import { monoNowNs, processAlive, selfIdentity, type ProcessIdentity } from '../pending/clock.js';
import { claimPath, readClaim, releaseClaim, tryClaim } from '../pending/store.js';
import { readStateFile } from '../state/fs-safe.js';

/**
 * Removes a claim left by the gone process `dead`, and only that one: the file is renamed away first
 * and looked at; if another process took over meanwhile (its live claim was renamed), it is put back.
 * Two processes taking over the same dead claim therefore never both end up holding it.
 */
export function takeOverDead(paths: StatePaths, dead: ProcessIdentity | null): void {
  const path = claimPath(paths);
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  let holder: ProcessIdentity | null = null;
  try {
    const raw = JSON.parse(readStateFile(aside) ?? '{}') as { pid?: unknown; startTime?: unknown };
    const valid = typeof raw.pid === 'number' && typeof raw.startTime === 'string';
    holder = valid ? { pid: raw.pid as number, startTime: raw.startTime as string } : null;
  } catch {
    holder = null; // torn write of a crashed process
  }
  const same = holder !== null && dead !== null && holder.pid === dead.pid && holder.startTime === dead.startTime;
  if (holder !== null && !same && processAlive(holder)) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process holds a claim now: it is theirs
    }
  }
  unlinkSync(aside);
}

/**
 * Takes the right to resolve the pending change. A claim whose process is gone (pid and start time:
 * a recycled pid does not count) is taken over; a live holder makes this return false (the caller
 * waits or reports "busy").
 */
export function acquireClaim(paths: StatePaths, changeId: string, action: string): boolean {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryClaim(paths, { ...selfIdentity(), changeId, action, atMonoNs: String(monoNowNs()) })) return true;
    const holder = readClaim(paths);
    // Taken already by this very process (confirm's early claim, src/apply/early-claim.ts).
    const mine = holder !== null && holder.pid === process.pid && holder.startTime === selfIdentity().startTime;
    if (mine && holder.changeId === changeId) return true;
    if (holder !== null && processAlive(holder) && holder.pid !== process.pid) return false;
    takeOverDead(paths, holder);
  }
  return false;
}

/**
 * Past the deadline nothing may keep a change live: a claim held longer than `boundNs` (a confirm or
 * rollback that hangs) is ended — its process killed, verified by start time — and released, so the
 * caller (the watchdog) can roll back. Returns what it did, or null when the claim is within bounds.
 */
export function takeOverStuckClaim(paths: StatePaths, boundNs: bigint): string | null {
  const holder = readClaim(paths);
  if (holder === null) return null;
  if (!processAlive(holder)) {
    releaseClaim(paths);
    return `released the claim of gone process ${holder.pid}`;
  }
  if (monoNowNs() - BigInt(holder.atMonoNs) < boundNs) return null;
  try {
    process.kill(holder.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  releaseClaim(paths);
  return `took over the claim of process ${holder.pid} (${holder.action}), held past the deadline for too long`;
}
