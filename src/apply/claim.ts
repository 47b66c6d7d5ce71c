import type { StatePaths } from '../state/paths.js';
import { pidAlive } from '../pending/clock.js';
import { readClaim, releaseClaim, tryClaim } from '../pending/store.js';

/**
 * Takes the right to resolve the pending change. A claim left by a dead process is taken over;
 * a live holder makes this return false (the caller waits or reports "busy").
 */
export function acquireClaim(paths: StatePaths, changeId: string, action: string): boolean {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryClaim(paths, { pid: process.pid, changeId, action })) return true;
    const holder = readClaim(paths);
    if (holder !== null && pidAlive(holder.pid) && holder.pid !== process.pid) return false;
    releaseClaim(paths);
  }
  return false;
}
