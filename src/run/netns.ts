import { existsSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';

const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Validates a network namespace name (as `ip netns` names them) and returns its bind-mount path. */
export function netnsPath(name: string, options: { mustExist?: boolean } = {}): string {
  if (!NETNS_NAME.test(name) || name.includes('..')) {
    throw new UserError(
      `Invalid network namespace name: ${JSON.stringify(name)}. Use letters, digits, '.', '_' and '-'.`,
      {
        code: 'BAD_NETNS',
      },
    );
  }
  const path = `/run/netns/${name}`;
  if ((options.mustExist ?? true) && !existsSync(path)) {
    throw new UserError(`Network namespace "${name}" does not exist.`, {
      code: 'NETNS_NOT_FOUND',
      actions: ['List them with: ip netns list', `Create it with: ip netns add ${name}`],
    });
  }
  return path;
}

/** A namespace's identity (device and inode of its nsfs file; null: our own): a name can be reused, this not while it exists. */
export function netnsKey(netns: string | null): string {
  const st = statSync(netns === null ? '/proc/self/ns/net' : netnsPath(netns), { bigint: true });
  return `${st.dev}-${st.ino}`;
}
