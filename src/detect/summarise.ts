import { hasSlowFullListing } from '../backends/nft.js';
import { chainOwner, tableOwner, tableOwnerByName } from '../backends/owners.js';
import { isIptablesNftTable } from '../backends/iptables-nft-tables.js';
import { firewalldChains, isFirewalldTable, type FirewalldCapture } from '../backends/firewalld.js';
import { parseIptablesSave } from '../backends/iptables-save.js';
import type { RulesetModel, TableModel } from '../ruleset/model.js';
import { ownerFlag } from '../backends/owner-flag.js';
import {
  DETECT_SCHEMA,
  type DetectResultT,
  type DetectedTableT,
  type DetectWarningT,
  type IptablesCommandT,
  type OwnerNameT,
} from './schema.js';

/** Everything detect measured; summarise turns it into the report without any I/O. */
export interface DetectFacts {
  netns: string | null;
  nftInstalled: boolean;
  model: RulesetModel;
  legacy: { v4: { names: string[]; save: string | null }; v6: { names: string[]; save: string | null } };
  iptablesCommands: IptablesCommandT[];
  conntrack: { count: number | null; max: number | null };
  firewalld: FirewalldCapture | null;
  /** `nft --version` as numbers, when known (absent: not asked). */
  nftVersion?: number[] | null;
}

// Above this share of nf_conntrack_max new connections are close to being dropped ("table full").
export const CONNTRACK_NEAR_FULL_PERCENT = 80;

function fromNftTable(table: TableModel): DetectedTableT {
  const owner: OwnerNameT = tableOwner(table) ?? 'unknown';
  const chains = table.chains.map((c) => ({
    name: c.name,
    owner: chainOwner(c.name) ?? owner,
    hook: c.hook,
    policy: c.policy,
    rules: c.rules.length,
  }));
  return { family: table.family, name: table.name, owner, chains, rules: chains.reduce((n, c) => n + c.rules, 0) };
}

function fromLegacy(family: 'ip' | 'ip6', names: string[], save: string | null): DetectedTableT[] {
  const saved = new Map(parseIptablesSave(save).map((t) => [t.name, t]));
  return names.map((name) => {
    const owner: OwnerNameT = tableOwnerByName(name) ?? 'unknown';
    const chains = (saved.get(name)?.chains ?? []).map((c) => ({
      name: c.name,
      owner: chainOwner(c.name) ?? owner,
      // Built-in chains (the ones with a policy) hang on the hook of the same name.
      hook: c.policy === null ? null : c.name.toLowerCase(),
      policy: c.policy,
      rules: c.rules,
    }));
    return { family, name, owner, chains, rules: chains.reduce((n, c) => n + c.rules, 0) };
  });
}

const total = (tables: DetectedTableT[]): number => tables.reduce((n, t) => n + t.rules, 0);
const id = (t: { family: string; name: string }): string => `${t.family} ${t.name}`;

/** Tables and chains grouped by owner; a chain is listed only when its owner differs from its table's. */
function ownersOf(tables: DetectedTableT[]): DetectResultT['owners'] {
  const by = new Map<OwnerNameT, { tables: string[]; chains: string[] }>();
  const entry = (o: OwnerNameT) => by.get(o) ?? by.set(o, { tables: [], chains: [] }).get(o)!;
  for (const t of tables) {
    entry(t.owner).tables.push(id(t));
    for (const c of t.chains) if (c.owner !== t.owner) entry(c.owner).chains.push(`${id(t)} ${c.name}`);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([owner, v]) => ({ owner, ...v }));
}

/** Pure: the detect report (backends, owners, warnings) from what was measured. */
export function summarise(facts: DetectFacts): Omit<DetectResultT, 'durationMs'> {
  const nftTables = facts.model.tables.map((t) => ({ model: t, detected: fromNftTable(t) }));
  const native = nftTables.filter((t) => !isIptablesNftTable(t.model)).map((t) => t.detected);
  const xt = nftTables.filter((t) => isIptablesNftTable(t.model)).map((t) => t.detected);
  const legacy = [
    ...fromLegacy('ip', facts.legacy.v4.names, facts.legacy.v4.save),
    ...fromLegacy('ip6', facts.legacy.v6.names, facts.legacy.v6.save),
  ];
  const fwTables = facts.model.tables.filter(isFirewalldTable).map(id);
  const fwChains = firewalldChains(facts.model);
  const conntrack =
    facts.conntrack.count === null
      ? null
      : {
          count: facts.conntrack.count,
          max: facts.conntrack.max,
          percent: facts.conntrack.max ? Math.round((facts.conntrack.count / facts.conntrack.max) * 1000) / 10 : null,
        };
  const backends: DetectResultT['backends'] = {
    nftables: { present: native.length > 0, tables: native, rules: total(native) },
    iptablesNft: {
      present: xt.length > 0,
      tables: xt,
      rules: total(xt),
      v4: xt.some((t) => t.family === 'ip'),
      v6: xt.some((t) => t.family === 'ip6'),
    },
    iptablesLegacy: {
      present: legacy.length > 0,
      tables: legacy,
      rules: total(legacy),
      v4: facts.legacy.v4.names.length > 0,
      v6: facts.legacy.v6.names.length > 0,
    },
    firewalld: {
      present: fwTables.length > 0 || fwChains.length > 0,
      running: facts.firewalld !== null,
      defaultZone: facts.firewalld?.defaultZone ?? null,
      activeZones: (facts.firewalld?.activeZones ?? []).map((z) => ({
        name: z.name,
        interfaces: z.interfaces,
        sources: z.sources,
      })),
      tables: fwTables,
      chains: fwChains,
    },
  };
  const owners = ownersOf([...native, ...xt, ...legacy]);
  return {
    schema: DETECT_SCHEMA,
    netns: facts.netns,
    backends,
    iptablesCommands: facts.iptablesCommands,
    owners,
    conntrack,
    warnings: warningsFor(facts, backends, owners, conntrack),
  };
}

/** "docker (chains DOCKER, DOCKER-USER in ip filter; DOCKER in ip nat)": a chain named with its table. */
export function ownedText(o: DetectResultT['owners'][number]): string {
  const byTable = new Map<string, string[]>();
  for (const c of o.chains) {
    const [family = '', table = '', ...name] = c.split(' ');
    const key = `${family} ${table}`;
    byTable.set(key, [...(byTable.get(key) ?? []), name.join(' ')]);
  }
  const parts = [
    ...(o.tables.length > 0 ? [`${o.tables.length === 1 ? 'table' : 'tables'} ${o.tables.join(', ')}`] : []),
    ...[...byTable].map(
      ([table, names]) => `${names.length === 1 ? 'chain' : 'chains'} ${names.join(', ')} in ${table}`,
    ),
  ];
  return `${o.owner} (${parts.join('; ')})`;
}

function warningsFor(
  facts: DetectFacts,
  b: DetectResultT['backends'],
  owners: DetectResultT['owners'],
  conntrack: DetectResultT['conntrack'],
): DetectWarningT[] {
  const out: DetectWarningT[] = [];
  const warn = (code: DetectWarningT['code'], message: string, actions: string[] = []): void => {
    out.push({ code, severity: 'warning', message, actions });
  };
  const info = (code: DetectWarningT['code'], message: string, actions: string[] = []): void => {
    out.push({ code, severity: 'info', message, actions });
  };
  if (!facts.nftInstalled)
    warn('NFT_NOT_INSTALLED', 'nft is not installed: the nftables ruleset cannot be read.', [
      'apt-get install nftables',
    ]);
  if (facts.nftVersion && hasSlowFullListing(facts.nftVersion)) {
    const rules = facts.model.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0);
    info(
      'NFT_SLOW_FULL_LISTING',
      `nft ${facts.nftVersion.join('.')} lists the whole ruleset in time that grows with tables × rules (fixed in nft 1.1.1): measured here, 40 tables × 2,500 rules took 218 s for \`nft list ruleset\` and over 60 s for \`nft list tables\`, 0.14 s a table for \`nft list table\`. fwsafe lists table by table; other tools (and your own \`nft list ruleset\`) pay the full cost${rules > 0 ? ` (${facts.model.tables.length} tables, ${rules} rules here)` : ''}.`,
      [
        'List one table at a time: nft list table FAMILY NAME',
        'Upgrade nftables to 1.1.1 or later where the distribution offers it.',
      ],
    );
  }

  // Legacy rules filter traffic only if they have rules or a non-ACCEPT policy; empty tables with ACCEPT are inert.
  const legacyFilters = b.iptablesLegacy.tables.some((t) =>
    t.chains.some((c) => c.rules > 0 || (c.policy !== null && c.policy !== 'ACCEPT')),
  );
  const nftHooked = [...b.nftables.tables, ...b.iptablesNft.tables].some((t) => t.chains.some((c) => c.hook !== null));
  if (legacyFilters && nftHooked) {
    warn(
      'LEGACY_AND_NFT_ACTIVE',
      `iptables-legacy rules (${b.iptablesLegacy.rules}) and nftables rules are both active: the kernel evaluates both, and a packet must pass both. \`nft list ruleset\` does not show the legacy rules.`,
      [
        'See them with: iptables-legacy-save; ip6tables-legacy-save',
        'Move them to nftables (iptables-legacy-save | iptables-nft-restore), then remove the legacy tables.',
      ],
    );
  }
  const v4 = facts.iptablesCommands.find((c) => c.command === 'iptables');
  if (v4?.variant === 'nft' && b.iptablesLegacy.present && (legacyFilters || b.iptablesLegacy.rules > 0)) {
    warn(
      'IPTABLES_VARIANT_MISMATCH',
      '`iptables` is iptables-nft here: `iptables -L` and `iptables-save` do not show the iptables-legacy rules that are active.',
      ['Use iptables-legacy-save to see them.'],
    );
  } else if (v4?.variant === 'legacy' && b.iptablesNft.present) {
    warn(
      'IPTABLES_VARIANT_MISMATCH',
      '`iptables` is iptables-legacy here: it does not show the iptables-nft tables that are active.',
      ['Use iptables-nft-save (or nft list ruleset) to see them.'],
    );
  }
  // What firewalld rewrites: its table (nftables backend) or its chains (iptables backend).
  const fwOwns = [...b.firewalld.tables, ...b.firewalld.chains].join(', ') || 'its rules';
  if (b.firewalld.running) {
    warn(
      'FIREWALLD_RUNNING',
      `firewalld is running (default zone ${b.firewalld.defaultZone ?? '?'}): it owns ${fwOwns} and rewrites it on reload or restart; edits made there with nft or iptables are lost.`,
      [
        'Stage firewalld changes as a .firewalld proposal of firewall-cmd operations (docs/firewalld.md): fwsafe applies them at runtime under the watchdog and makes them permanent on confirm.',
      ],
    );
  } else if (b.firewalld.present) {
    warn(
      'FIREWALLD_NOT_ANSWERING',
      `${fwOwns} exists but firewalld does not answer on the system D-Bus: its rules are in force, and a firewalld that starts later replaces them.`,
      ['Check: firewall-cmd --state (DBUS_SYSTEM_BUS_ADDRESS selects the bus).'],
    );
  }
  for (const t of facts.model.tables) {
    const flag = ownerFlag(t);
    if (flag.owned) {
      warn(
        'TABLE_OWNER_FLAG',
        `Table ${t.key} carries the nft owner flag (owned by the process ${flag.progname ?? 'that created it'}): no other process can change it, and it disappears when its owner exits. fwsafe never plans nft edits of it.`,
        [
          t.name === 'firewalld'
            ? 'Change it through firewalld: a .firewalld proposal (docs/firewalld.md).'
            : `Change it through ${flag.progname ?? 'its owner'}.`,
        ],
      );
    }
  }
  if (b.iptablesNft.present) {
    info(
      'IPTABLES_NFT_TABLES',
      `Tables managed by iptables-nft: ${b.iptablesNft.tables.map(id).join(', ')}. Edit them with iptables-nft; fwsafe saves them with iptables-nft-save, never as nft text.`,
    );
  }
  const others = owners.filter((o) => o.owner !== 'unknown' && o.owner !== 'iptables-nft-managed');
  if (others.length > 0) {
    info(
      'OWNED_BY_OTHERS',
      `Owned by other software (which rewrites them; fwsafe leaves them alone): ${others.map(ownedText).join('; ')}.`,
    );
  }
  if (conntrack) {
    const share = conntrack.percent === null ? '' : ` (${conntrack.percent}% of nf_conntrack_max ${conntrack.max})`;
    if (conntrack.percent !== null && conntrack.percent >= CONNTRACK_NEAR_FULL_PERCENT) {
      warn(
        'CONNTRACK_NEAR_FULL',
        `The connection tracking table is nearly full: ${conntrack.count} entries${share}. New connections are dropped when it is full.`,
        [
          'Raise net.netfilter.nf_conntrack_max in the host namespace, or find what opens so many connections (conntrack -L).',
        ],
      );
    } else {
      info(
        'CONNTRACK_USAGE',
        `Connection tracking: ${conntrack.count} entries${share}. Rules matching "ct state established" keep existing connections open.`,
      );
    }
  }
  return out;
}
