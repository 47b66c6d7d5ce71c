import type { StatePaths } from '../state/paths.js';
import { monoNowNs, processAlive, selfIdentity } from '../pending/clock.js';
import { readClaim, releaseClaim, tryClaim } from '../pending/store.js';

/**
 * Takes the right to resolve the pending change. A claim whose process is gone (pid and start time:
 * a recycled pid does not count) is taken over; a live holder makes this return false (the caller
 * waits or reports "busy").
 */
export function acquireClaim(paths: StatePaths, changeId: string, action: string): boolean {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryClaim(paths, { ...selfIdentity(), changeId, action, atMonoNs: String(monoNowNs()) })) return true;
    const holder = readClaim(paths);
    if (holder !== null && processAlive(holder) && holder.pid !== process.pid) return false;
    releaseClaim(paths);
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
