import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DEFAULT_PERSIST_PATH } from './persist.js';

/**
 * Where `apply` persists on confirmation: `--persist PATH` (resolved against the current directory now) or
 * `--persist-default` (/etc/nftables.conf). Nothing rewrites argv: a value is always the user's own.
 */
export function persistTarget(path: string | undefined, useDefault: boolean): string | null {
  if (useDefault) return DEFAULT_PERSIST_PATH;
  if (path === undefined) return null;
  if (path === '' || path.includes('\0')) {
    throw new UserError(`--persist needs a file path, got ${JSON.stringify(path)}.`, {
      code: 'BAD_PERSIST_PATH',
      actions: ['Give one, e.g. --persist /etc/nftables.conf, or use --persist-default.'],
    });
  }
  // Confirmation may run elsewhere (another session, the cwd of `fwsafe confirm`): resolved now.
  return resolve(path);
}
