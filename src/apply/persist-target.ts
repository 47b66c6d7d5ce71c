import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { PERSIST_DEFAULT } from '../formats/types.js';

/**
 * Where `apply` persists on confirmation: `--persist PATH` (resolved against the current directory now) or
 * `--persist-default`: the boot file of the change's format, chosen at apply (FormatRuntime.persistence,
 * /etc/nftables.conf for nft). Nothing rewrites argv: a value is always the user's own.
 */
export function persistTarget(path: string | undefined, useDefault: boolean): string | null {
  if (useDefault) return PERSIST_DEFAULT;
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
