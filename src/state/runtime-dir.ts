import { lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FwsafeError } from '../errors.js';

/** Root's runtime directory: host-wide locks and private temp dirs; never under TMPDIR (docs/security.md). */
export const RUNTIME_DIR = '/run/fwsafe';

const isRoot = (): boolean => typeof process.geteuid === 'function' && process.geteuid() === 0;

/** A directory only root can enter: created 0700, refused when it is a link, not root's, or open to others. */
export function ensureRootDir(path: string): string {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FwsafeError(`Cannot create ${path}: ${(error as Error).message}.`, {
        code: 'RUNTIME_DIR_UNUSABLE',
        actions: ['fwsafe keeps its locks and private temp files there: /run must exist and be writable by root.'],
      });
    }
  }
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
    throw new FwsafeError(`Refusing to use ${path}: it must be a directory owned by root with mode 0700.`, {
      code: 'RUNTIME_DIR_UNSAFE',
      actions: [`Remove it (fwsafe recreates it): rm -rf ${path}`],
    });
  }
  return path;
}

/** `/run/fwsafe[/sub]`, checked; as root only. */
export function runtimeDir(sub?: string): string {
  const root = ensureRootDir(RUNTIME_DIR);
  return sub ? ensureRootDir(join(root, sub)) : root;
}

/**
 * A fresh private directory for files fwsafe hands to the programs it runs. As root it lives under
 * /run/fwsafe/tmp, which no other user can rename or replace; TMPDIR is never used then. Without root
 * (plan --against in a user namespace) nothing runs with more rights than the caller: os.tmpdir().
 */
export function privateTempDir(prefix: string): string {
  const parent = isRoot() ? runtimeDir('tmp') : tmpdir();
  return mkdtempSync(join(parent, prefix));
}
