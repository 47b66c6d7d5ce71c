import { parseSave, type SavedRuleset } from '../../backends/iptables-save.js';
import type { SnapshotT } from '../../snapshot/schema.js';
import type { TransactionStepT } from '../types.js';
import { foreignOwner, ownRule } from './owners.js';
import { isBuiltin } from './parse.js';
import { changedScope } from './diff.js';
import { carryCounters, rollbackInput, type ChainScope } from './transaction.js';
import { program } from './programs.js';

/** Every chain of two saves, table by table, but other software's (docker's chains are docker's to restore). */
function ownChains(a: SavedRuleset[], b: SavedRuleset[]): ChainScope {
  const out: ChainScope = {};
  for (const t of [...a, ...b])
    out[t.name] = [
      ...new Set([...(out[t.name] ?? []), ...t.chains.map((c) => c.name).filter((n) => foreignOwner(n) === null)]),
    ];
  return out;
}

const BUILTIN = /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/;

/**
 * The version's rules as they come back: in the admin's chains, the admin's rules of the version, while
 * today's jumps into other software's chains (docker's `-j DOCKER` in nat PREROUTING, fail2ban's `-j f2b-sshd`)
 * stay where they are, as that software's chains do. A chain whose admin rules match today's is today's.
 */
function withTodaysJumps(live: SavedRuleset[], stored: SavedRuleset[]): SavedRuleset[] {
  const plain = (rules: string[]) => ({ rules, ruleCounters: rules.map(() => null) });
  const out: SavedRuleset[] = stored.map((t) => ({
    name: t.name,
    chains: t.chains.map((c) => ({ ...c, ...plain(c.rules.filter(ownRule)) })),
  }));
  for (const lt of live)
    for (const lc of lt.chains) {
      if (foreignOwner(lc.name) !== null || lc.rules.every(ownRule)) continue;
      let table = out.find((t) => t.name === lt.name);
      const chain = table?.chains.find((c) => c.name === lc.name);
      const own = chain?.rules ?? [];
      const first = lc.rules.findIndex(ownRule);
      const split = first === -1 ? lc.rules.length : first;
      const rules =
        JSON.stringify(own) === JSON.stringify(lc.rules.filter(ownRule))
          ? lc.rules
          : [...lc.rules.slice(0, split), ...own, ...lc.rules.slice(split).filter((r) => !ownRule(r))];
      if (chain) {
        Object.assign(chain, plain(rules));
        continue;
      }
      if (!table) {
        table = { name: lt.name, chains: [] };
        out.push(table);
      }
      const policy = isBuiltin(lt.name, lc.name) ? 'ACCEPT' : null;
      table.chains.push({ name: lc.name, policy, counters: null, ...plain(rules) });
    }
  return out;
}

/**
 * iptables-nft-save prints a table's built-in chains (ACCEPT, no rules) even where nft has none (a table
 * docker created with `-N DOCKER` only): such a chain and an absent one are the same state. Restoring it
 * would create the base chains in a table that is not the admin's; tables left with no chain are dropped.
 */
function withoutIdleBuiltins(scope: ChainScope, a: SavedRuleset[], b: SavedRuleset[]): ChainScope {
  const idle = (rs: SavedRuleset[], table: string, name: string): boolean => {
    const c = rs.find((t) => t.name === table)?.chains.find((x) => x.name === name);
    return c === undefined || (BUILTIN.test(name) && c.policy === 'ACCEPT' && c.rules.length === 0);
  };
  const out: ChainScope = {};
  for (const [table, chains] of Object.entries(scope)) {
    const kept = chains.filter((name) => !(idle(a, table, name) && idle(b, table, name)));
    if (kept.length) out[table] = kept;
  }
  return out;
}

/**
 * What brings the iptables rules of a stored version back (rollback VERSION): per variant and family,
 * the chains the admin owns that differ from live, restored with `-c --noflush` (live counters kept for
 * rules that stay), and the transaction that puts today's chains back. Other software's chains stay.
 */
export function iptablesRestoreSteps(
  stored: SnapshotT,
  live: SnapshotT,
): { apply: TransactionStepT[]; rollback: TransactionStepT[]; chains: string[] } {
  const out = { apply: [] as TransactionStepT[], rollback: [] as TransactionStepT[], chains: [] as string[] };
  for (const [variant, key] of [
    ['nft', 'iptablesNft'],
    ['legacy', 'iptablesLegacy'],
  ] as const) {
    for (const family of ['v4', 'v6'] as const) {
      const l = parseSave(live[key][family]);
      const s = withTodaysJumps(l, parseSave(stored[key][family]));
      const scope = withoutIdleBuiltins(changedScope(l, s, ownChains(s, l)), l, s);
      if (Object.keys(scope).length === 0) continue;
      const restore = program('restore', variant, family);
      const label = Object.entries(scope)
        .map(([t, c]) => `${t}: ${c.join(',')}`)
        .join('; ');
      out.apply.push({
        program: restore,
        args: ['-w', '5', '-c', '--noflush'],
        input: rollbackInput(carryCounters(l, s), l, scope),
        what: `iptables-${variant} ${family} restore chains ${label}`,
      });
      out.rollback.push({
        program: restore,
        args: ['-w', '5', '-c', '--noflush'],
        input: rollbackInput(l, s, scope),
        what: `iptables-${variant} ${family} chains ${label}`,
      });
      out.chains.push(
        ...Object.entries(scope).flatMap(([t, c]) => c.map((name) => `iptables-${variant} ${family} ${t}/${name}`)),
      );
    }
  }
  return out;
}
