import { dirname } from 'node:path';
import { FwsafeError, ExitCode } from '../errors.js';

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Turns a file-system error on a state path into the sentence an admin can act on: not root → 7,
 * anything else predictable (full, read-only, not a directory, no permission even as root) → 13.
 */
export function stateIoError(error: unknown, path: string, doing: 'read' | 'write' | 'create' | 'remove'): unknown {
  if (error instanceof FwsafeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const unusable = (why: string, actions: string[]): FwsafeError =>
    new FwsafeError(`Cannot ${doing} ${path}: ${why}.`, {
      code: 'STATE_UNUSABLE',
      exitCode: ExitCode.stateUnusable,
      actions,
      details: { path, errno: code },
      cause: error,
    });
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      if (!isRoot()) {
        return new FwsafeError(
          `Cannot ${doing} ${path}: permission denied. fwsafe's state belongs to root: this needs root.`,
          {
            code: 'NEEDS_ROOT',
            exitCode: ExitCode.needsRoot,
            actions: ['Run it again with sudo.'],
            details: { path, errno: code },
            cause: error,
          },
        );
      }
      return unusable('permission denied even to root', [
        `Check its attributes and mount: lsattr -d ${dirname(path)}; findmnt -T ${path}`,
      ]);
    case 'ENOSPC':
    case 'EDQUOT':
      return unusable('the file system is full', [
        `Free space where it lives (df -h ${dirname(path)}), then run the command again.`,
      ]);
    case 'EROFS':
      return unusable('the file system is read-only', [
        `Remount it read-write, or choose another directory with --state-dir.`,
      ]);
    case 'ENOTDIR':
    case 'EEXIST':
      return unusable('a part of the path is not a directory', [
        `Move the file in the way aside (e.g. mv ${path} ${path}.aside), or choose another directory with --state-dir.`,
      ]);
    case 'EISDIR':
      return unusable('it is a directory', [`Move it aside, or choose another directory with --state-dir.`]);
    case 'EIO':
      return unusable('input/output error', [`Check the disk (dmesg), or choose another directory with --state-dir.`]);
    default:
      return error;
  }
}
