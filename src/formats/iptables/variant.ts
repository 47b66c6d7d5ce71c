import { legacyTableNames } from '../../backends/iptables.js';
import type { FindingT } from '../../plan/schema.js';
import type { IpFamily, IptablesVariant } from './family.js';

export interface VariantChoice {
  variant: IptablesVariant;
  /** Why this variant: "legacy tables are live (filter)", "--backend iptables-legacy". */
  why: string;
  /** A blocking finding when --backend names a variant the host does not use for this family. */
  mismatch: FindingT | null;
}

/**
 * The iptables variant a family's rules live in: legacy when legacy (x_tables) tables of that family are
 * registered (/proc, never by listing), else nft. `--backend` overrides; planning one variant's rules on
 * a host that uses the other is a blocking finding (the rules would sit beside the live ones, and a
 * packet must pass both).
 */
export async function chooseVariant(
  netns: string | null,
  family: IpFamily,
  override: IptablesVariant | null,
): Promise<VariantChoice> {
  return variantOf((await legacyTableNames(netns))[family], family, override);
}

/** chooseVariant from the legacy tables a host has for the family (live, or in a saved base). */
export function variantOf(legacy: string[], family: IpFamily, override: IptablesVariant | null): VariantChoice {
  const live: IptablesVariant = legacy.length > 0 ? 'legacy' : 'nft';
  const liveWhy =
    legacy.length > 0
      ? `iptables-legacy tables are live for ${family === 'v4' ? 'IPv4' : 'IPv6'} (${legacy.join(', ')})`
      : `no iptables-legacy tables are live for ${family === 'v4' ? 'IPv4' : 'IPv6'}, so iptables-nft`;
  if (override === null || override === live)
    return { variant: override ?? live, why: override ? `--backend iptables-${override}` : liveWhy, mismatch: null };
  return {
    variant: override,
    why: `--backend iptables-${override}`,
    mismatch: {
      code: 'IPTABLES_VARIANT_MISMATCH',
      severity: 'error',
      message: `--backend iptables-${override} was asked, but this host uses iptables-${live}: ${liveWhy}. Rules in iptables-${override} would sit beside the live iptables-${live} rules; a packet must pass both, so an accept there opens nothing the live rules drop.`,
      fix: `Plan without --backend (fwsafe uses iptables-${live} here), or move the host to iptables-${override} first.`,
      location: null,
    },
  };
}
