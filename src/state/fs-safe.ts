import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { readTextFile } from './read-text.js';
import { randomBytes } from 'node:crypto';
import { ExitCode, FwsafeError, StateError } from '../errors.js';
import { stateIoError } from './io-error.js';

/** Refuse anything but a real file or directory: the state dir must not be redirected by a symlink. */
export function assertNotSymlink(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw stateIoError(error, path, 'read');
  }
  if (stat.isSymbolicLink()) {
    throw new StateError(`Refusing to use ${path}: it is a symbolic link.`, {
      code: 'STATE_SYMLINK',
      actions: [`Replace the link with a real directory or file owned by root (mode 0700/0600).`],
    });
  }
}

function lstatOrNull(path: string, doing: 'read' | 'create'): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw stateIoError(error, path, doing);
  }
}

/**
 * A directory another user can write is an attack path (they could swap the pending record or the
 * rollback script that root runs): refused, never chmod'ed behind the admin's back.
 */
export function assertTrustedDir(path: string, stat: Stats): void {
  const fix = [
    `Check its contents, then make it root's and private: chown root:root ${path} && chmod 0700 ${path}`,
    'Or choose another directory with --state-dir.',
  ];
  if (!stat.isDirectory()) {
    throw new FwsafeError(`Cannot use ${path}: it is not a directory.`, {
      code: 'STATE_UNUSABLE',
      exitCode: ExitCode.stateUnusable,
      actions: [`Move it aside (mv ${path} ${path}.aside), or choose another directory with --state-dir.`],
      details: { path },
    });
  }
  const uid = process.getuid?.() ?? 0;
  if (stat.uid !== 0 && stat.uid !== uid) {
    throw new FwsafeError(`Refusing to use ${path}: it is owned by uid ${stat.uid}, not by root.`, {
      code: 'STATE_UNTRUSTED',
      exitCode: ExitCode.stateUnusable,
      actions: fix,
      details: { path, uid: stat.uid },
    });
  }
  if ((stat.mode & 0o022) !== 0) {
    const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
    throw new FwsafeError(`Refusing to use ${path}: it is writable by group or others (mode ${mode}).`, {
      code: 'STATE_UNTRUSTED',
      exitCode: ExitCode.stateUnusable,
      actions: fix,
      details: { path, mode },
    });
  }
}

/** Refuses an existing directory another user could write (or that is not a directory); absent is fine. */
export function assertTrustedIfExists(path: string): void {
  assertNotSymlink(path);
  const stat = lstatOrNull(path, 'read');
  if (stat !== null) assertTrustedDir(path, stat);
}

/** Creates a root-only directory (0700), refusing symlinks and directories others could write. */
export function ensurePrivateDir(path: string): void {
  assertNotSymlink(path);
  let stat = lstatOrNull(path, 'create');
  if (stat === null) {
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      // A recursive mkdir reports ENOENT for a read-only parent: ask once more without it for the real cause.
      let cause = error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        try {
          mkdirSync(path, { mode: 0o700 });
        } catch (again) {
          cause = again;
        }
      }
      throw stateIoError(cause, path, 'create');
    }
    assertNotSymlink(path);
    stat = lstatOrNull(path, 'create');
    if (stat === null) {
      throw new StateError(`${path} vanished right after it was created.`, {
        code: 'STATE_UNUSABLE',
        exitCode: ExitCode.stateUnusable,
      });
    }
  }
  assertTrustedDir(path, stat);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeTemp(path: string, data: string | Buffer, sync = true): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * Atomic replace: temp file, fsync, rename, fsync the directory. Mode 0600. `sync: false` (a cache whose
 * reader checks it) skips both fsyncs: after a crash the file may be missing or empty, never half another's.
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: { sync?: boolean } = {}): void {
  assertNotSymlink(path);
  const sync = options.sync ?? true;
  try {
    const temp = writeTemp(path, data, sync);
    try {
      renameSync(temp, path);
    } catch (error) {
      unlinkSync(temp);
      throw error;
    }
    if (sync) fsyncDir(dirname(path));
  } catch (error) {
    throw stateIoError(error, path, 'write');
  }
}

/** Atomic create that never overwrites: returns false when the path already exists. */
export function createFileExclusive(path: string, data: string | Buffer): boolean {
  let temp: string;
  try {
    temp = writeTemp(path, data);
  } catch (error) {
    throw stateIoError(error, path, 'create');
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw stateIoError(error, path, 'create');
  } finally {
    unlinkSync(temp);
  }
  fsyncDir(dirname(path));
  return true;
}

/**
 * Creates several files in one directory, never overwriting: each written to a temp file and fsynced,
 * linked in, then the directory fsynced once. Returns, per file, false when its name already existed.
 */
export function createFilesExclusive(
  dir: string,
  files: readonly { name: string; data: string | Buffer }[],
): boolean[] {
  if (files.length === 0) return [];
  const temps: string[] = [];
  try {
    for (const f of files) temps.push(writeTemp(join(dir, f.name), f.data));
  } catch (error) {
    for (const t of temps) unlinkSync(t);
    throw stateIoError(error, dir, 'create');
  }
  let created: boolean[];
  try {
    created = files.map((f, i) => {
      try {
        linkSync(temps[i]!, join(dir, f.name));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw stateIoError(error, join(dir, f.name), 'create');
      }
    });
  } finally {
    for (const t of temps) unlinkSync(t);
  }
  fsyncDir(dir);
  return created;
}

/** Appends one line with O_APPEND and fsyncs it (journal). */
export function appendLine(path: string, line: string): void {
  assertNotSymlink(path);
  try {
    const fd = openSync(path, 'a', 0o600);
    try {
      writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw stateIoError(error, path, 'write');
  }
}

/** Reads a state file, refusing symlinks; null when it does not exist. */
export function readStateFile(path: string): string | null {
  const dir = dirname(path);
  const dirStat = lstatOrNull(dir, 'read');
  if (dirStat === null) return null;
  assertTrustedDir(dir, dirStat);
  assertNotSymlink(path);
  try {
    return readTextFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const mapped = stateIoError(error, path, 'read');
    if (mapped !== error) throw mapped;
    throw new StateError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function removeFile(path: string): void {
  assertNotSymlink(path);
  try {
    unlinkSync(path);
    fsyncDir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw stateIoError(error, path, 'remove');
  }
}
