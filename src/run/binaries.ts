import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';

// We run as root: only ever resolve binaries from the system directories, never from cwd or PATH.
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const cache = new Map<string, string>();

/** Absolute path of a system program, or a clear error naming the package to install. */
export function resolveBinary(name: string): string {
  const cached = cache.get(name);
  if (cached) return cached;
  if (isAbsolute(name)) return name;
  if (name.includes('/'))
    throw new UserError(`Refusing to run a relative program path: ${name}`, { code: 'UNSAFE_BINARY' });
  for (const dir of SYSTEM_DIRS) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
      cache.set(name, candidate);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new UserError(`Required program "${name}" was not found in ${SYSTEM_DIRS.join(', ')}.`, {
    code: 'MISSING_PROGRAM',
    actions: [`Install the package that provides ${name} (for example: apt-get install ${PACKAGE_OF[name] ?? name}).`],
  });
}

export function hasBinary(name: string): boolean {
  try {
    resolveBinary(name);
    return true;
  } catch {
    return false;
  }
}

const PACKAGE_OF: Record<string, string> = {
  nft: 'nftables',
  'iptables-nft-save': 'iptables',
  'iptables-legacy-save': 'iptables',
  'ip6tables-legacy-save': 'iptables',
  'iptables-nft-restore': 'iptables',
  'firewall-cmd': 'firewalld',
  conntrack: 'conntrack',
  ip: 'iproute2',
  ss: 'iproute2',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
};
