import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { StatePaths } from '../state/paths.js';
import { pidAlive } from '../pending/clock.js';
import { claimPath, readClaim, tryClaim } from '../pending/store.js';
import { readStateFile } from '../state/fs-safe.js';

/**
 * Removes a claim left by the dead process `deadPid`, and only that one: the file is renamed away first
 * and looked at; if another process took over meanwhile (its live claim was renamed), it is put back.
 * Two processes taking over the same dead claim therefore never both end up holding it.
 */
export function takeOverDead(paths: StatePaths, deadPid: number | null): void {
  const path = claimPath(paths);
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  let holder: number | null = null;
  try {
    holder = (JSON.parse(readStateFile(aside) ?? '{}') as { pid?: number }).pid ?? null;
  } catch {
    holder = null; // torn write of a crashed process
  }
  if (holder !== null && holder !== deadPid && pidAlive(holder)) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process holds a claim now: it is theirs
    }
  }
  unlinkSync(aside);
}

/**
 * Takes the right to resolve the pending change. A claim left by a dead process is taken over;
 * a live holder makes this return false (the caller waits or reports "busy").
 */
export function acquireClaim(paths: StatePaths, changeId: string, action: string): boolean {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryClaim(paths, { pid: process.pid, changeId, action })) return true;
    const holder = readClaim(paths);
    // Taken already by this process (confirm's early claim, src/apply/early-claim.ts).
    if (holder !== null && holder.pid === process.pid && holder.changeId === changeId) return true;
    if (holder !== null && pidAlive(holder.pid) && holder.pid !== process.pid) return false;
    takeOverDead(paths, holder?.pid ?? null);
  }
  return false;
}
