import type { IpFamily, IptablesVariant } from './family.js';

type Prefix = 'ip' | 'ip6';

/** `iptables-nft-save`, `ip6tables-legacy-restore`, … for a variant and family. */
export function program<T extends 'save' | 'restore'>(
  tool: T,
  variant: IptablesVariant,
  family: IpFamily,
): `${Prefix}tables-${IptablesVariant}-${T}` {
  return `${family === 'v6' ? 'ip6' : 'ip'}tables-${variant}-${tool}`;
}
