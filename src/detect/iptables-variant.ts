import { readlinkSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

import type { IptablesCommandT } from './schema.js';

type IptablesVariant = IptablesCommandT['variant'];

/** The variant of the final binary: Debian's alternatives point at xtables-nft-multi or xtables-legacy-multi. */
export function variantOf(target: string): IptablesVariant {
  const name = basename(target);
  if (/xtables-nft-multi|-nft(-|$)/.test(name)) return 'nft';
  if (/xtables-legacy-multi|-legacy(-|$)/.test(name)) return 'legacy';
  return 'unknown';
}

/** Follows the symlinks of /usr/sbin/iptables (bounded: a loop must not hang detect). */
export function resolveIptables(command = 'iptables', dirs = ['/usr/sbin', '/sbin']): IptablesCommandT {
  for (const dir of dirs) {
    const path = `${dir}/${command}`;
    const links: string[] = [];
    let current = path;
    try {
      for (let i = 0; i < 16; i++) {
        let next: string;
        try {
          next = readlinkSync(current);
        } catch (error) {
          // EINVAL: not a symlink — the end of the chain.
          if ((error as NodeJS.ErrnoException).code === 'EINVAL') break;
          throw error;
        }
        current = resolve(dirname(current), next);
        links.push(current);
      }
      // The variant is decided by the first hop that names one (iptables-nft), else by the final binary.
      const named = links.map(variantOf).find((v) => v !== 'unknown');
      return {
        command,
        path,
        links,
        resolvesTo: current,
        variant: variantOf(current) !== 'unknown' ? variantOf(current) : (named ?? 'unknown'),
      };
    } catch {
      // not in this directory
    }
  }
  return { command, path: `${dirs[0]}/${command}`, links: [], resolvesTo: null, variant: 'missing' };
}
