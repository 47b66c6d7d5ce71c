import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { readTextFile } from './read-text.js';
import { randomBytes } from 'node:crypto';
import { StateError } from '../errors.js';

/** Refuse anything but a real file or directory: the state dir must not be redirected by a symlink. */
export function assertNotSymlink(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (stat.isSymbolicLink()) {
    throw new StateError(`Refusing to use ${path}: it is a symbolic link.`, {
      code: 'STATE_SYMLINK',
      actions: [`Replace the link with a real directory or file owned by root (mode 0700/0600).`],
    });
  }
}

/** Creates a root-only directory (0700), refusing symlinks along the way. */
export function ensurePrivateDir(path: string): void {
  assertNotSymlink(path);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  assertNotSymlink(path);
  chmodSync(path, 0o700);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeTemp(path: string, data: string | Buffer): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** Atomic replace: temp file, fsync, rename, fsync the directory. Mode 0600. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  assertNotSymlink(path);
  const temp = writeTemp(path, data);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
  fsyncDir(dirname(path));
}

/** Atomic create that never overwrites: returns false when the path already exists. */
export function createFileExclusive(path: string, data: string | Buffer): boolean {
  const temp = writeTemp(path, data);
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
  fsyncDir(dirname(path));
  return true;
}

/** Appends one line with O_APPEND and fsyncs it (journal). */
export function appendLine(path: string, line: string): void {
  assertNotSymlink(path);
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, line.endsWith('\n') ? line : line + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a state file, refusing symlinks; null when it does not exist. */
export function readStateFile(path: string): string | null {
  assertNotSymlink(path);
  try {
    return readTextFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function removeFile(path: string): void {
  assertNotSymlink(path);
  try {
    unlinkSync(path);
    fsyncDir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
