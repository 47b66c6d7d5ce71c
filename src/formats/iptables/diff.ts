import { createTwoFilesPatch } from 'diff';
import { align } from '../../plan/lcs.js';
import { emptyDiff } from '../../plan/diff.js';
import type { SavedRuleset } from '../../backends/iptables-save.js';
import type { CounterAtRiskT, DiffT } from '../../plan/schema.js';
import type { ChainScope } from './transaction.js';

type Chain = SavedRuleset['chains'][number];
const chainOf = (s: SavedRuleset[], table: string, name: string): Chain | undefined =>
  s.find((t) => t.name === table)?.chains.find((c) => c.name === name);

/** Text of the touched chains of one table, as iptables-save prints them (no counters), for the unified diff. */
function scopeText(saved: SavedRuleset[], table: string, chains: string[]): string {
  const out: string[] = [];
  for (const name of chains) {
    const c = chainOf(saved, table, name);
    if (c) out.push(`:${name} ${c.policy ?? '-'}`, ...c.rules);
  }
  return out.length ? `*${table}\n${out.join('\n')}\n` : '';
}

/** Chains of the scope whose policy or rules differ between before and after. */
export function changedScope(before: SavedRuleset[], after: SavedRuleset[], scope: ChainScope): ChainScope {
  const out: ChainScope = {};
  for (const [table, chains] of Object.entries(scope)) {
    const changed = chains.filter(
      (name) =>
        JSON.stringify(view(chainOf(before, table, name))) !== JSON.stringify(view(chainOf(after, table, name))),
    );
    if (changed.length) out[table] = changed;
  }
  return out;
}
const view = (c: Chain | undefined): unknown => (c ? [c.policy, c.rules] : null);

/**
 * The diff per table, chain and rule in iptables syntax, compared as iptables-save prints both sides
 * (the same program, so no phantom changes), with `label` naming the tables ("iptables-nft v4 filter").
 */
export function diffSaves(
  before: SavedRuleset[],
  after: SavedRuleset[],
  scope: ChainScope,
  label: (table: string) => string,
  from: string,
): DiffT {
  const diff = emptyDiff();
  let unified = '';
  for (const [table, chains] of Object.entries(scope)) {
    if (chains.length === 0) continue;
    const tableLabel = label(table);
    diff.tables.push({ kind: 'changed', table: tableLabel });
    diff.summary.tablesChanged++;
    for (const name of chains) {
      const [b, a] = [chainOf(before, table, name), chainOf(after, table, name)];
      if (!b && a) {
        diff.chains.push({ kind: 'added', table: tableLabel, chain: name, details: [] });
        diff.summary.chainsAdded++;
      } else if (b && !a) {
        diff.chains.push({ kind: 'removed', table: tableLabel, chain: name, details: [] });
        diff.summary.chainsRemoved++;
      } else if (b && a && b.policy !== a.policy) {
        diff.chains.push({
          kind: 'changed',
          table: tableLabel,
          chain: name,
          details: [`policy ${b.policy} → ${a.policy}`],
        });
        diff.summary.chainsChanged++;
      }
      const ops = align(b?.rules ?? [], a?.rules ?? [], (r) => r);
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        const next = ops[i + 1];
        if (op.kind === 'removed' && next?.kind === 'added') {
          diff.rules.push({
            kind: 'changed',
            table: tableLabel,
            chain: name,
            text: next.b,
            oldText: op.a,
            position: next.bi,
          });
          diff.summary.rulesChanged++;
          i++;
        } else if (op.kind === 'removed') {
          diff.rules.push({
            kind: 'removed',
            table: tableLabel,
            chain: name,
            text: op.a,
            oldText: null,
            position: op.ai,
          });
          diff.summary.rulesRemoved++;
        } else if (op.kind === 'added') {
          diff.rules.push({
            kind: 'added',
            table: tableLabel,
            chain: name,
            text: op.b,
            oldText: null,
            position: op.bi,
          });
          diff.summary.rulesAdded++;
        }
      }
    }
    unified += createTwoFilesPatch(
      `${from} ${tableLabel}`,
      `proposed ${tableLabel}`,
      scopeText(before, table, chains),
      scopeText(after, table, chains),
      '',
      '',
      { context: 3 },
    )
      .split('\n')
      .slice(1)
      .join('\n');
  }
  diff.unified = unified;
  return diff;
}

const counter = (c: string | null): { packets: number | null; bytes: number | null } => {
  const m = /^\[(\d+):(\d+)\]$/.exec(c ?? '');
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : { packets: null, bytes: null };
};

/** Live traffic through the rules the change removes or alters, and through policies it changes (from the live `-c` save). */
export function iptablesCountersAtRisk(
  live: SavedRuleset[],
  diff: DiffT,
  scope: ChainScope,
  label: (table: string) => string,
): CounterAtRiskT[] {
  const out: CounterAtRiskT[] = [];
  for (const [table, chains] of Object.entries(scope)) {
    for (const name of chains) {
      const c = chainOf(live, table, name);
      if (!c) continue;
      const used = new Set<number>();
      for (const r of diff.rules.filter((x) => x.table === label(table) && x.chain === name && x.kind !== 'added')) {
        const text = r.kind === 'changed' ? r.oldText! : r.text;
        const i = c.rules.findIndex((rule, j) => rule === text && !used.has(j));
        if (i < 0) continue;
        used.add(i);
        const { packets, bytes } = counter(c.ruleCounters[i] ?? null);
        out.push({
          kind: r.kind === 'removed' ? 'removed-rule' : 'changed-rule',
          table: label(table),
          chain: name,
          text,
          packets,
          bytes,
          hasCounter: packets !== null,
        });
      }
      if (diff.chains.some((x) => x.table === label(table) && x.chain === name && x.kind === 'changed') && c.policy) {
        const { packets, bytes } = counter(c.counters);
        out.push({
          kind: 'policy',
          table: label(table),
          chain: name,
          text: `policy ${c.policy}`,
          packets,
          bytes,
          hasCounter: packets !== null,
        });
      }
    }
  }
  return out;
}
