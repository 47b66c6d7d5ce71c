import type { SavedChain, SavedRuleset } from '../../backends/iptables-save.js';
import { isBuiltin, type RestoreTable } from './parse.js';
import { align } from '../../plan/lcs.js';

/** Chains per table: `{ filter: ['INPUT', 'MINE'] }`. */
export type ChainScope = Record<string, string[]>;

/** Chains a command names: its chain, and for -E the new name too. */
function commandChains(c: RestoreTable['commands'][number]): string[] {
  if (c.chain === null) return [];
  if (c.op === 'E') return [c.chain, c.text.split(/\s+/)[2] ?? ''].filter(Boolean);
  return [c.chain];
}

/** The chains a chain-scoped proposal touches: those it declares and those its commands name. */
export function declaredScope(tables: RestoreTable[]): ChainScope {
  const out: ChainScope = {};
  for (const t of tables)
    out[t.name] = [...new Set([...t.chains.map((c) => c.name), ...t.commands.flatMap(commandChains)])];
  return out;
}

/**
 * The proposal as one `iptables-restore --noflush` input that replaces exactly the chains it declares:
 * each declared built-in chain gets its policy and an explicit `-F` (--noflush keeps built-in chains'
 * rules), each declared user chain is created or emptied by its declaration; other command lines run
 * as written. Counters written in the proposal are dropped (the change starts them at zero).
 * With `replaceTables`, the classic full restore of each named table (run without --noflush).
 */
export function applyInput(tables: RestoreTable[], replaceTables: boolean): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    for (const c of t.chains) out.push(`:${c.name} ${c.policy ?? '-'} [0:0]`);
    if (!replaceTables) for (const c of t.chains) if (isBuiltin(t.name, c.name)) out.push(`-F ${c.name}`);
    for (const c of t.commands) out.push(c.text);
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}

/** Which line of the proposal an input line came from (for the kernel's "line N failed"). */
export function inputLineMap(tables: RestoreTable[], replaceTables: boolean): number[] {
  const map: number[] = [0];
  for (const t of tables) {
    map.push(t.line);
    for (const c of t.chains) map.push(c.line);
    if (!replaceTables) for (const c of t.chains) if (isBuiltin(t.name, c.name)) map.push(c.line);
    for (const c of t.commands) map.push(c.line);
    map.push(t.line);
  }
  return map;
}

const chainOf = (saved: SavedRuleset[], table: string, chain: string): SavedChain | undefined =>
  saved.find((t) => t.name === table)?.chains.find((c) => c.name === chain);

/**
 * `iptables-restore -c --noflush` input that puts exactly the touched chains back as `before` had them,
 * with their counters (policy counters of built-in chains too): chains the change created are emptied
 * and deleted, chains it deleted come back. Untouched chains — docker's, kube-proxy's, anything added
 * during the window — are not named, so the restore leaves them as they are.
 */
export function rollbackInput(before: SavedRuleset[], after: SavedRuleset[], scope: ChainScope): string {
  const out: string[] = [];
  for (const [table, chains] of Object.entries(scope)) {
    if (chains.length === 0) continue;
    const existed = chains.filter((c) => chainOf(before, table, c));
    const created = chains.filter((c) => !chainOf(before, table, c) && chainOf(after, table, c));
    out.push(`*${table}`);
    for (const name of [...existed, ...created]) {
      const c = chainOf(before, table, name);
      out.push(
        isBuiltin(table, name) ? `:${name} ${c?.policy ?? 'ACCEPT'} ${c?.counters ?? '[0:0]'}` : `:${name} - [0:0]`,
      );
    }
    // Built-in chains are emptied (one the change created comes back empty: it cannot be deleted).
    for (const name of [...existed, ...created]) if (isBuiltin(table, name)) out.push(`-F ${name}`);
    for (const name of existed) {
      const c = chainOf(before, table, name)!;
      c.rules.forEach((rule, i) => {
        out.push(`${c.ruleCounters[i] ?? '[0:0]'} ${rule}`);
      });
    }
    for (const name of created) if (!isBuiltin(table, name)) out.push(`-X ${name}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** A chain as compared across time: policy and rules, no counters; null when it does not exist. */
export type ChainView = { policy: string | null; rules: string[] } | null;

/** The touched chains of a save, table by table (null for a chain that does not exist). */
export function touchedView(saved: SavedRuleset[], scope: ChainScope): Record<string, Record<string, ChainView>> {
  const out: Record<string, Record<string, ChainView>> = {};
  for (const [table, chains] of Object.entries(scope)) {
    out[table] = {};
    for (const name of chains) {
      const c = chainOf(saved, table, name);
      out[table]![name] = c ? { policy: c.policy, rules: c.rules } : null;
    }
  }
  return out;
}

/** `after` with the live counters of every rule the change keeps in place (aligned by text), [0:0] for new ones. */
export function carryCounters(live: SavedRuleset[], after: SavedRuleset[]): SavedRuleset[] {
  return after.map((t) => ({
    ...t,
    chains: t.chains.map((c) => {
      const l = live.find((x) => x.name === t.name)?.chains.find((x) => x.name === c.name);
      const counters: (string | null)[] = c.rules.map(() => '[0:0]');
      if (l)
        for (const op of align(l.rules, c.rules, (r) => r))
          if (op.kind === 'same') counters[op.bi] = l.ruleCounters[op.ai] ?? '[0:0]';
      return { ...c, counters: l?.counters ?? c.counters, ruleCounters: counters };
    }),
  }));
}
