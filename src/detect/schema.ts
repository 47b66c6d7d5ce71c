import { z } from 'zod';
import { OWNERS } from '../backends/owners.js';

export const DETECT_SCHEMA = 1;

/** Who owns a table or chain: known software by its marks, or "unknown" (yours, or unrecognised). */
export const OwnerName = z.enum([...OWNERS, 'unknown']);

export const DetectedChain = z.strictObject({
  name: z.string(),
  owner: OwnerName,
  /** Base chains: the netfilter hook (nft) or the built-in chain (iptables); null for regular chains. */
  hook: z.string().nullable(),
  policy: z.string().nullable(),
  rules: z.number().int().nonnegative(),
});

export const DetectedTable = z.strictObject({
  family: z.string(),
  name: z.string(),
  owner: OwnerName,
  chains: z.array(DetectedChain),
  rules: z.number().int().nonnegative(),
});

const Backend = {
  present: z.boolean(),
  tables: z.array(DetectedTable),
  rules: z.number().int().nonnegative(),
};

export const DetectWarning = z.strictObject({
  /** Stable, documented in docs/concepts.md. */
  code: z.enum([
    'LEGACY_AND_NFT_ACTIVE',
    'IPTABLES_VARIANT_MISMATCH',
    'FIREWALLD_RUNNING',
    'FIREWALLD_NOT_ANSWERING',
    'IPTABLES_NFT_TABLES',
    'OWNED_BY_OTHERS',
    'CONNTRACK_USAGE',
    'CONNTRACK_NEAR_FULL',
    'NFT_NOT_INSTALLED',
    'TABLE_OWNER_FLAG',
    'MANAGER_REWROTE_TABLE',
    'NFT_SLOW_FULL_LISTING',
  ]),
  severity: z.enum(['warning', 'info']),
  message: z.string(),
  actions: z.array(z.string()),
});

export const IptablesCommand = z.strictObject({
  command: z.string(),
  path: z.string(),
  /** Every symlink hop, e.g. /etc/alternatives/iptables, /usr/sbin/iptables-nft, /usr/sbin/xtables-nft-multi. */
  links: z.array(z.string()),
  resolvesTo: z.string().nullable(),
  variant: z.enum(['nft', 'legacy', 'missing', 'unknown']),
});

export const DetectResult = z.strictObject({
  schema: z.literal(DETECT_SCHEMA),
  netns: z.string().nullable(),
  backends: z.strictObject({
    /** Native nft tables (every table not managed by iptables-nft), firewalld's and docker's included. */
    nftables: z.strictObject(Backend),
    /** nft tables that iptables-nft manages (xt expressions or its built-in chains). */
    iptablesNft: z.strictObject({ ...Backend, v4: z.boolean(), v6: z.boolean() }),
    /** x_tables tables registered in the namespace (/proc/net/ip{,6}_tables_names), rules from iptables-legacy-save. */
    iptablesLegacy: z.strictObject({ ...Backend, v4: z.boolean(), v6: z.boolean() }),
    firewalld: z.strictObject({
      /** Its table (nftables backend) or its chains (iptables backend) exist in this namespace. */
      present: z.boolean(),
      /** `firewall-cmd --state` answered `running`. */
      running: z.boolean(),
      defaultZone: z.string().nullable(),
      activeZones: z.array(
        z.strictObject({ name: z.string(), interfaces: z.array(z.string()), sources: z.array(z.string()) }),
      ),
      tables: z.array(z.string()),
      /** `family table chain` of its chains in other tables (iptables backend: INPUT_direct, IN_public, …). */
      chains: z.array(z.string()),
    }),
  }),
  iptablesCommands: z.array(IptablesCommand),
  owners: z.array(z.strictObject({ owner: OwnerName, tables: z.array(z.string()), chains: z.array(z.string()) })),
  conntrack: z
    .strictObject({ count: z.number().int(), max: z.number().int().nullable(), percent: z.number().nullable() })
    .nullable(),
  warnings: z.array(DetectWarning),
  durationMs: z.number().int().nonnegative(),
});
export type DetectResultT = z.infer<typeof DetectResult>;
export type IptablesCommandT = z.infer<typeof IptablesCommand>;
export type DetectedTableT = z.infer<typeof DetectedTable>;
export type DetectWarningT = z.infer<typeof DetectWarning>;
export type OwnerNameT = z.infer<typeof OwnerName>;
