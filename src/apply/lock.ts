import type { StatePaths } from '../state/paths.js';
import { readLock, readPending, releaseLock, rewriteLock, tryLock } from '../pending/store.js';
import { processAlive, selfIdentity } from '../pending/clock.js';
import { acquireNetnsLock } from '../pending/netns-lock.js';
import { FwsafeError, ExitCode } from '../errors.js';

/**
 * Takes the single-change lock of the state dir and the host-wide lock of the target namespace, or
 * explains who holds them and how to resolve that (exit 6).
 */
export function acquireLock(
  paths: StatePaths,
  changeId: string,
  netns: string | null,
  options: { netnsLockDir?: string } = {},
): void {
  takeStateLock(paths, changeId);
  try {
    const netnsLock = acquireNetnsLock(netns, changeId, paths.root, options.netnsLockDir);
    const held = readLock(paths);
    if (held === null || held.changeId !== changeId)
      throw new FwsafeError('The state directory lock vanished.', {
        code: 'CHANGE_PENDING',
        exitCode: ExitCode.pending,
      });
    // Ours while we hold it: replaced atomically, so it always names the namespace lock to release.
    rewriteLock(paths, { ...held, netnsLock });
  } catch (error) {
    releaseLock(paths);
    throw error;
  }
}

function takeStateLock(paths: StatePaths, changeId: string): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (tryLock(paths, { ...selfIdentity(), changeId, at: new Date().toISOString(), netnsLock: null })) return;
    const pending = readPending(paths);
    if (pending !== null) {
      throw new FwsafeError(
        `Change ${pending.changeId} is pending confirmation (deadline ${pending.deadline}); only one change at a time.`,
        {
          code: 'CHANGE_PENDING',
          exitCode: ExitCode.pending,
          actions: [
            `Keep it: fwsafe confirm ${pending.changeId}`,
            'Undo it now: fwsafe rollback',
            'See it: fwsafe status',
            'If its watchdog is gone: fwsafe recover',
          ],
          details: { changeId: pending.changeId, deadline: pending.deadline },
        },
      );
    }
    const holder = readLock(paths);
    if (holder !== null && processAlive(holder)) {
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
