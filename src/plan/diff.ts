import { createTwoFilesPatch } from 'diff';
import { align } from './lcs.js';
import { elementText } from './element-text.js';
import { elementsOnePerLine } from './element-lines.js';
import { normaliseBlock } from '../ruleset/text.js';
import type { ChainModel, RuleModel, RulesetModel, TableModel } from '../ruleset/model.js';
import type { DiffT } from './schema.js';

type RuleChangeT = DiffT['rules'][number];

export interface TableDiffInput {
  before: RulesetModel;
  after: RulesetModel;
}

const SAMPLE = 5;

export function blockOf(table: TableModel | undefined): string {
  return table?.text ? normaliseBlock(table.text) : '';
}

/** Same rules, chains and set elements: normalised text, elements compared in a stable order (a reloaded hash set lists them in another). */
function sameTable(x: TableModel | undefined, y: TableModel | undefined): boolean {
  const [bx, by] = [blockOf(x), blockOf(y)];
  return bx === by || (x !== undefined && y !== undefined && elementsOnePerLine(bx) === elementsOnePerLine(by));
}

/** Keys of tables (among `candidates`, default all) whose normalised text differs between before and after. */
export function touchedKeys(before: RulesetModel, after: RulesetModel, candidates?: Iterable<string>): string[] {
  const b = new Map(before.tables.map((t) => [t.key, t]));
  const a = new Map(after.tables.map((t) => [t.key, t]));
  const keys = new Set(candidates ?? [...b.keys(), ...a.keys()]);
  return [...keys].filter((k) => !sameTable(b.get(k), a.get(k))).sort();
}

function chainDetails(x: ChainModel, y: ChainModel): string[] {
  const out: string[] = [];
  if (x.policy !== y.policy) out.push(`policy ${x.policy ?? 'none'} → ${y.policy ?? 'none'}`);
  if (x.hook !== y.hook) out.push(`hook ${x.hook ?? 'none'} → ${y.hook ?? 'none'}`);
  if (x.prio !== y.prio) out.push(`priority ${x.prio ?? 'none'} → ${y.prio ?? 'none'}`);
  if (x.type !== y.type) out.push(`type ${x.type ?? 'none'} → ${y.type ?? 'none'}`);
  if (JSON.stringify(x.dev) !== JSON.stringify(y.dev))
    out.push(`device ${JSON.stringify(x.dev)} → ${JSON.stringify(y.dev)}`);
  return out;
}

/** Rule changes of one chain: LCS by rule key, then adjacent removed+added pairs become "changed". */
export function diffRules(table: string, chain: string, before: RuleModel[], after: RuleModel[]): RuleChangeT[] {
  const ops = align(before, after, (r) => r.key);
  const out: RuleChangeT[] = [];
  for (let i = 0; i < ops.length; i += 1) {
    const op = ops[i]!;
    const next = ops[i + 1];
    if (op.kind === 'removed' && next?.kind === 'added') {
      out.push({ kind: 'changed', table, chain, text: next.b.text, oldText: op.a.text, position: next.bi });
      i += 1;
    } else if (op.kind === 'removed')
      out.push({ kind: 'removed', table, chain, text: op.a.text, oldText: null, position: op.ai });
    else if (op.kind === 'added')
      out.push({ kind: 'added', table, chain, text: op.b.text, oldText: null, position: op.bi });
  }
  return out;
}

/** The semantic diff of the touched tables, and the unified diff of their normalised text. */
export function diffModels(
  before: RulesetModel,
  after: RulesetModel,
  touched: string[],
  labels = { from: 'live', to: 'proposed' },
): DiffT {
  const b = new Map(before.tables.map((t) => [t.key, t]));
  const a = new Map(after.tables.map((t) => [t.key, t]));
  const diff = emptyDiff();
  for (const key of touched) {
    const x = b.get(key);
    const y = a.get(key);
    const kind = !x ? 'added' : !y ? 'removed' : 'changed';
    diff.tables.push({ kind, table: key });
    const xChains = new Map((x?.chains ?? []).map((c) => [c.name, c]));
    const yChains = new Map((y?.chains ?? []).map((c) => [c.name, c]));
    for (const name of new Set([...xChains.keys(), ...yChains.keys()])) {
      const cx = xChains.get(name);
      const cy = yChains.get(name);
      if (!cx)
        diff.chains.push({
          kind: 'added',
          table: key,
          chain: name,
          details: cy!.hook ? [`${cy!.type} hook ${cy!.hook} priority ${cy!.prio} policy ${cy!.policy}`] : [],
        });
      else if (!cy) diff.chains.push({ kind: 'removed', table: key, chain: name, details: [] });
      else {
        const details = chainDetails(cx, cy);
        if (details.length) diff.chains.push({ kind: 'changed', table: key, chain: name, details });
      }
      diff.rules.push(...diffRules(key, name, cx?.rules ?? [], cy?.rules ?? []));
    }
    const xSets = new Map((x?.sets ?? []).map((s) => [s.name, s]));
    const ySets = new Map((y?.sets ?? []).map((s) => [s.name, s]));
    for (const name of new Set([...xSets.keys(), ...ySets.keys()])) {
      const before = new Set(xSets.get(name)?.elements ?? []);
      const after = new Set(ySets.get(name)?.elements ?? []);
      const added = [...after].filter((e) => !before.has(e));
      const removed = [...before].filter((e) => !after.has(e));
      const setKind = !xSets.has(name) ? 'added' : !ySets.has(name) ? 'removed' : 'changed';
      if (setKind === 'changed' && added.length === 0 && removed.length === 0) continue;
      diff.sets.push({
        kind: setKind,
        table: key,
        set: name,
        elementsAdded: added.length,
        elementsRemoved: removed.length,
        sampleAdded: added.slice(0, SAMPLE).map(elementText),
        sampleRemoved: removed.slice(0, SAMPLE).map(elementText),
      });
    }
  }
  const s = diff.summary;
  for (const t of diff.tables)
    s[t.kind === 'added' ? 'tablesAdded' : t.kind === 'removed' ? 'tablesRemoved' : 'tablesChanged'] += 1;
  for (const c of diff.chains)
    s[c.kind === 'added' ? 'chainsAdded' : c.kind === 'removed' ? 'chainsRemoved' : 'chainsChanged'] += 1;
  for (const r of diff.rules)
    s[r.kind === 'added' ? 'rulesAdded' : r.kind === 'removed' ? 'rulesRemoved' : 'rulesChanged'] += 1;
  s.setsChanged = diff.sets.length;
  const oldText = elementsOnePerLine(touched.map((k) => blockOf(b.get(k))).join(''));
  const newText = elementsOnePerLine(touched.map((k) => blockOf(a.get(k))).join(''));
  diff.unified =
    oldText === newText ? '' : createTwoFilesPatch(labels.from, labels.to, oldText, newText, '', '', { context: 3 });
  return diff;
}

/** A diff with nothing in it yet: every format fills the same shape (nft here, iptables in src/formats/iptables/diff.ts). */
export function emptyDiff(): DiffT {
  return {
    summary: {
      tablesAdded: 0,
      tablesRemoved: 0,
      tablesChanged: 0,
      chainsAdded: 0,
      chainsRemoved: 0,
      chainsChanged: 0,
      rulesAdded: 0,
      rulesRemoved: 0,
      rulesChanged: 0,
      setsChanged: 0,
    },
    tables: [],
    chains: [],
    rules: [],
    sets: [],
    unified: '',
  };
}
