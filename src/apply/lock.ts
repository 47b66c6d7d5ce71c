import type { StatePaths } from '../state/paths.js';
import { readLock, readPending, releaseLock, tryLock } from '../pending/store.js';
import { pidAlive } from '../pending/clock.js';
import { FwsafeError, ExitCode } from '../errors.js';

/** Takes the single-change lock, or explains who holds it and how to resolve that (exit 6). */
export function acquireLock(paths: StatePaths, changeId: string): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (tryLock(paths, { pid: process.pid, changeId, at: new Date().toISOString() })) return;
    const pending = readPending(paths);
    if (pending !== null) {
      throw new FwsafeError(`Change ${pending.changeId} is pending confirmation (deadline ${pending.deadline}); only one change at a time.`, {
        code: 'CHANGE_PENDING',
        exitCode: ExitCode.pending,
        actions: [
          `Keep it: fwsafe confirm ${pending.changeId}`,
          'Undo it now: fwsafe rollback',
          'See it: fwsafe status',
          'If its watchdog is gone: fwsafe recover',
        ],
        details: { changeId: pending.changeId, deadline: pending.deadline },
      });
    }
    const holder = readLock(paths);
    if (holder !== null && pidAlive(holder.pid)) {
      throw new FwsafeError(`Another fwsafe apply (pid ${holder.pid}) is preparing change ${holder.changeId}.`, {
        code: 'CHANGE_PENDING',
        exitCode: ExitCode.pending,
        actions: ['Wait for it, then see: fwsafe status'],
        details: { changeId: holder.changeId, pid: holder.pid },
      });
    }
    // Left by a process that died before writing a pending record: nothing was applied.
    releaseLock(paths);
  }
  throw new FwsafeError('Could not take the lock.', { code: 'CHANGE_PENDING', exitCode: ExitCode.pending });
}
