import { join } from 'node:path';
import { z } from 'zod';
import { netnsKey } from '../run/netns.js';
import { runtimeDir } from '../state/runtime-dir.js';
import { createFileExclusive, readStateFile, removeFile } from '../state/fs-safe.js';
import { statePaths } from '../state/paths.js';
import { processAlive, selfIdentity } from './clock.js';
import { FwsafeError, ExitCode } from '../errors.js';

// One change at a time per network namespace, whatever the state dir: two state dirs on one namespace
// would each roll back to their own base and undo each other. The lock lives in root's /run/fwsafe.
const NetnsLockRecord = z.strictObject({
  pid: z.number().int().positive(),
  startTime: z.string().regex(/^\d+$/),
  changeId: z.string(),
  stateDir: z.string(),
  at: z.string(),
});
type NetnsLockRecordT = z.infer<typeof NetnsLockRecord>;

function readHolder(file: string): NetnsLockRecordT | null {
  const text = readStateFile(file);
  if (text === null) return null;
  try {
    return NetnsLockRecord.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Held while its process lives, or while its state dir still has that change pending. */
function stillHeld(holder: NetnsLockRecordT): boolean {
  if (processAlive(holder)) return true;
  try {
    const text = readStateFile(statePaths(holder.stateDir).pending);
    return text !== null && (JSON.parse(text) as { changeId?: unknown }).changeId === holder.changeId;
  } catch {
    // A pending record we cannot read may still be a live change: never take its namespace.
    return true;
  }
}

/**
 * Takes the namespace's host-wide lock for `changeId` (a file in `dir`, by default /run/fwsafe/netns),
 * or says which state dir holds it (exit 6). Returns the lock file, for releaseNetnsLock.
 */
export function acquireNetnsLock(
  netns: string | null,
  changeId: string,
  stateDir: string,
  dir = runtimeDir('netns'),
): string {
  const file = join(dir, `${netnsKey(netns)}.lock`);
  const record: NetnsLockRecordT = { ...selfIdentity(), changeId, stateDir, at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (createFileExclusive(file, `${JSON.stringify(record)}\n`)) return file;
    const holder = readHolder(file);
    if (holder !== null && stillHeld(holder)) {
      throw new FwsafeError(
        `Change ${holder.changeId} (state directory ${holder.stateDir}) is in progress on this network namespace; only one change at a time per namespace.`,
        {
          code: 'CHANGE_PENDING',
          exitCode: ExitCode.pending,
          actions: [
            `See it: fwsafe status --state-dir ${holder.stateDir}`,
            `If nothing guards it: fwsafe recover --state-dir ${holder.stateDir}`,
          ],
          details: { changeId: holder.changeId, stateDir: holder.stateDir },
        },
      );
    }
    // Left by a change that is over (its process gone, nothing pending): taken over.
    removeFile(file);
  }
  throw new FwsafeError('Could not take the namespace lock.', { code: 'CHANGE_PENDING', exitCode: ExitCode.pending });
}

/** Releases the namespace lock when it is still this change's. */
export function releaseNetnsLock(file: string, changeId: string): void {
  const holder = readHolder(file);
  if (holder === null || holder.changeId === changeId) removeFile(file);
}
