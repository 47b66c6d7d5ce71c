import { parseSave, type SavedRuleset } from '../../backends/iptables-save.js';
import { emptyDiff } from '../../plan/diff.js';
import type { CounterAtRiskT, DiffT, FindingT, TouchedTableT } from '../../plan/schema.js';
import type { TransactionStepT } from '../types.js';
import type { RestoreTable } from './parse.js';
import type { IpFamily, IptablesVariant } from './family.js';
import type { ProposalPart } from './pair.js';
import { carryCounters, declaredScope, rollbackInput, touchedView, type ChainScope } from './transaction.js';
import type { IptablesScratchResult } from './scratch.js';
import { changedScope, diffSaves, iptablesCountersAtRisk } from './diff.js';
import { iptablesFindings } from './findings.js';
import { program } from './programs.js';
import type { ExpectedT } from './runtime.js';

/** With --replace-tables every chain of a named table is in scope (the restore rewrites the whole table). */
function tableScope(tables: string[], before: SavedRuleset[], after: SavedRuleset[]): ChainScope {
  const names = (s: SavedRuleset[], t: string): string[] =>
    s.find((x) => x.name === t)?.chains.map((c) => c.name) ?? [];
  return Object.fromEntries(tables.map((t) => [t, [...new Set([...names(before, t), ...names(after, t)])]]));
}

/** One family's file of the change, computed in its scratch namespace. */
export interface PartComputed {
  part: ProposalPart;
  tables: RestoreTable[];
  family: IpFamily;
  variant: IptablesVariant;
  mismatch: FindingT | null;
  live: SavedRuleset[];
  input: string;
  scratch: IptablesScratchResult;
}

/** The part's plan pieces: diff, findings, counters, touched tables, its two transactions, what it leaves. */
export function partPlan(
  c: PartComputed,
  replaceTables: boolean,
  sshPorts: number[],
): {
  diff: DiffT;
  analysis: FindingT[];
  counters: CounterAtRiskT[];
  touchedTables: TouchedTableT[];
  apply: TransactionStepT[];
  rollback: TransactionStepT[];
  expected: ExpectedT;
} {
  const { tables, family, variant, live, input, scratch } = c;
  const [before, after] = [parseSave(scratch.before), parseSave(scratch.after)];
  const scope = changedScope(
    before,
    after,
    replaceTables
      ? tableScope(
          tables.map((t) => t.name),
          before,
          after,
        )
      : declaredScope(tables),
  );
  const label = (table: string): string => `iptables-${variant} ${family} ${table}`;
  const diff = diffSaves(before, after, scope, label, 'live');
  const analysis: FindingT[] = [
    ...(c.mismatch ? [c.mismatch] : []),
    ...iptablesFindings({ before, after, scope, family, replaceTables, label, sshPorts }),
    ...scratch.notReproduced.map(
      (t): FindingT =>
        scope[t]
          ? {
              code: 'IPTABLES_TABLE_NOT_REPRODUCED',
              severity: 'error',
              message: `The live ${label(t)} table could not be loaded into the scratch namespace, so the change to it cannot be computed.`,
              fix: 'Check the table with iptables-save; a match on a missing ipset or module is the usual cause.',
              location: label(t),
            }
          : {
              code: 'IPTABLES_TABLE_NOT_REPRODUCED',
              severity: 'info',
              message: `The live ${label(t)} table could not be loaded into the scratch namespace; the change does not touch it.`,
              fix: 'Nothing to do.',
              location: label(t),
            },
    ),
  ];
  const flags = ['-w', '5', '-c', '--noflush'];
  const restore = program('restore', variant, family);
  const what = (verb: string): string =>
    `iptables-${variant} ${family} ${verb} ${Object.entries(scope)
      .map(([t, ch]) => `${t}: ${ch.join(',')}`)
      .join('; ')}`;
  const applyStep: TransactionStepT = replaceTables
    ? {
        program: restore,
        args: ['-w', '5'],
        input,
        what: `iptables-${variant} ${family} tables ${tables.map((t) => t.name).join(', ')} (full restore)`,
      }
    : {
        program: restore,
        args: flags,
        input: rollbackInput(carryCounters(live, after), before, scope),
        what: what('chains'),
      };
  const rollback = rollbackInput(live, after, scope);
  const changed = Object.keys(scope).length > 0;
  return {
    diff,
    analysis,
    counters: iptablesCountersAtRisk(live, diff, scope, label),
    touchedTables: Object.keys(scope).map((name) => ({
      family: family === 'v6' ? 'ip6' : 'ip',
      name,
      existedBefore: true,
      existsAfter: true,
      owner: `iptables-${variant}`,
      iptablesNft: variant === 'nft',
    })),
    apply: changed ? [applyStep] : [],
    rollback: rollback ? [{ program: restore, args: flags, input: rollback, what: what('restore chains') }] : [],
    expected: { format: 'iptables', variant, family, tables: touchedView(after, scope) },
  };
}

/** Two families' diffs as one (their table names carry the variant and family, so they never collide). */
export function mergeDiffs(diffs: DiffT[]): DiffT {
  if (diffs.length === 1) return diffs[0]!;
  const out = emptyDiff();
  for (const d of diffs) {
    for (const k of Object.keys(out.summary) as (keyof DiffT['summary'])[]) out.summary[k] += d.summary[k];
    out.tables.push(...d.tables);
    out.chains.push(...d.chains);
    out.rules.push(...d.rules);
    out.sets.push(...d.sets);
  }
  out.unified = diffs.map((d) => d.unified).join('');
  return out;
}
