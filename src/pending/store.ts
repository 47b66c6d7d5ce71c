import { closeSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { StatePaths } from '../state/paths.js';
import { ensurePrivateDir, readStateFile, removeFile, writeFileAtomic } from '../state/fs-safe.js';
import { parseJsonFile } from '../state/parse.js';
import { releaseNetnsLock } from './netns-lock.js';
import {
  ClaimRecord,
  LockRecord,
  PendingRecord,
  type ClaimRecordT,
  type LockRecordT,
  type PendingRecordT,
} from './schema.js';

/** A small record file read whole; null when absent or unreadable (a torn write of a crashed process). */
function readRecord<T>(path: string, schema: z.ZodType<T>): T | null {
  const text = readStateFile(path);
  if (text === null) return null;
  const parsed = schema.safeParse(parseOrNull(text));
  return parsed.success ? parsed.data : null;
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The pending change, or null when none. */
export function readPending(paths: StatePaths): PendingRecordT | null {
  const text = readStateFile(paths.pending);
  return text === null ? null : parseJsonFile(PendingRecord, text, paths.pending);
}

/** Atomic, fsynced, 0600: a reader sees the old record or the new one, never half of one. */
export function writePending(paths: StatePaths, record: PendingRecordT): void {
  writeFileAtomic(paths.pending, `${JSON.stringify(PendingRecord.parse(record))}\n`);
}

/** Read-modify-write of the pending record; null when it vanished meanwhile. */
export function updatePending(paths: StatePaths, change: (r: PendingRecordT) => PendingRecordT): PendingRecordT | null {
  const current = readPending(paths);
  if (current === null) return null;
  const next = change(current);
  writePending(paths, next);
  return next;
}

export function removePending(paths: StatePaths): void {
  removeFile(paths.pending);
}

/** Cheap existence test used by every command: one stat. */
export function pendingExists(paths: StatePaths): boolean {
  try {
    statSync(paths.pending);
    return true;
  } catch {
    return false;
  }
}

/** Creates `path` with O_EXCL and writes `data`, fsynced; false when it exists already. */
function createExclusive(path: string, data: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function tryLock(paths: StatePaths, record: LockRecordT): boolean {
  ensurePrivateDir(paths.root);
  return createExclusive(paths.lock, `${JSON.stringify(record)}\n`);
}

/** Replaces the record of a lock this process holds (atomic rename). */
export function rewriteLock(paths: StatePaths, record: LockRecordT): void {
  writeFileAtomic(paths.lock, `${JSON.stringify(LockRecord.parse(record))}\n`);
}

/** The lock's holder; null when unlocked or unreadable (a torn write of a crashed process). */
export function readLock(paths: StatePaths): LockRecordT | null {
  return readRecord(paths.lock, LockRecord);
}

/** Releases the state dir's lock and the namespace lock that goes with it. */
export function releaseLock(paths: StatePaths): void {
  const holder = readLock(paths);
  if (holder?.netnsLock) releaseNetnsLock(holder.netnsLock, holder.changeId);
  removeFile(paths.lock);
}

export function claimPath(paths: StatePaths): string {
  return join(paths.root, 'resolving');
}

/** Only one process at a time may resolve the pending change (confirm / extend / roll back). */
export function tryClaim(paths: StatePaths, record: ClaimRecordT): boolean {
  return createExclusive(claimPath(paths), `${JSON.stringify(record)}\n`);
}

export function readClaim(paths: StatePaths): ClaimRecordT | null {
  return readRecord(claimPath(paths), ClaimRecord);
}

export function releaseClaim(paths: StatePaths): void {
  removeFile(claimPath(paths));
}

/** Releases the claim only if this process holds it (after a resolve, a new change may hold a new one). */
export function releaseOwnClaim(paths: StatePaths): void {
  const holder = readClaim(paths);
  if (holder !== null && holder.pid === process.pid) releaseClaim(paths);
}

export function readyPath(paths: StatePaths, changeId: string): string {
  return join(paths.root, `watchdog-${changeId}.ready`);
}

export function watchdogLogPath(paths: StatePaths): string {
  return join(paths.root, 'watchdog.log');
}
