import { parseNftJson, type ParsedNftJson } from './nft-json.js';
import { splitTables } from './text.js';

export interface Counter {
  packets: number;
  bytes: number;
}

export interface RuleModel {
  handle: number;
  /** Identity of the rule ignoring handle and counter values. */
  key: string;
  /** nft text of the rule, normalised (null when the text listing lacks it). */
  text: string;
  counter: Counter | null;
  /** Carries iptables-nft compat (xt) expressions. */
  xt: boolean;
  comment: string | null;
}

export interface ChainModel {
  name: string;
  type: string | null;
  hook: string | null;
  prio: number | null;
  policy: string | null;
  dev: string | string[] | null;
  rules: RuleModel[];
}

export interface SetModel {
  name: string;
  kind: 'set' | 'map';
  type: string;
  flags: string[];
  elements: string[];
}

export interface TableModel {
  family: string;
  name: string;
  /** `family name`, the table's identity. */
  key: string;
  chains: ChainModel[];
  sets: SetModel[];
  objects: { kind: string; name: string }[];
  /** Raw `nft -a list` block of this table (counters included), '' when not available. */
  text: string;
  hasXt: boolean;
  /** The nft `owner` flag from the JSON listing (`"flags": "owner"`; nft 1.0.6 prints "owned"); see backends/owner-flag.ts. */
  ownerFlag?: boolean;
}

export interface RulesetModel {
  tables: TableModel[];
}

export function tableKey(family: string, name: string): string {
  return `${family} ${name}`;
}

/** Removes the counter values (and handle-like noise) from an expression list to get a stable key. */
function ruleKey(expr: Record<string, unknown>[], comment: string | undefined): string {
  const stripped = expr.map((e) => ('counter' in e ? { counter: null } : e));
  return JSON.stringify(comment ? [stripped, comment] : stripped);
}

function counterOf(expr: Record<string, unknown>[]): Counter | null {
  for (const e of expr) {
    const c = e.counter as { packets?: unknown; bytes?: unknown } | undefined;
    if (c && typeof c === 'object' && typeof c.packets === 'number' && typeof c.bytes === 'number') {
      return { packets: c.packets, bytes: c.bytes };
    }
  }
  return null;
}

/** Builds the per-table model from `nft -j list ruleset` and (optionally) `nft -a list ruleset`. */
export function buildModel(jsonText: string, listingText = ''): RulesetModel {
  return buildModelFromParsed(parseNftJson(jsonText), listingText);
}

export function buildModelFromParsed(parsed: ParsedNftJson, listingText = ''): RulesetModel {
  const texts = new Map(splitTables(listingText).map((t) => [tableKey(t.family, t.name), t]));
  const tables = new Map<string, TableModel>();
  const chains = new Map<string, ChainModel>();
  for (const t of parsed.tables) {
    const key = tableKey(t.family, t.name);
    const flags = (t as { flags?: unknown }).flags;
    const ownerFlag = [flags].flat().some((f) => f === 'owner' || f === 'owned');
    tables.set(key, { family: t.family, name: t.name, key, chains: [], sets: [], objects: [], text: texts.get(key)?.raw ?? '', hasXt: false, ...(ownerFlag ? { ownerFlag } : {}) });
  }
  for (const c of parsed.chains) {
    const table = tables.get(tableKey(c.family, c.table));
    if (!table) continue;
    const chain: ChainModel = {
      name: c.name,
      type: c.type ?? null,
      hook: c.hook ?? null,
      prio: c.prio ?? null,
      policy: c.policy ?? null,
      dev: c.dev ?? null,
      rules: [],
    };
    table.chains.push(chain);
    chains.set(`${table.key}\u0000${c.name}`, chain);
  }
  for (const r of parsed.rules) {
    const tKey = tableKey(r.family, r.table);
    const chain = chains.get(`${tKey}\u0000${r.chain}`);
    if (!chain) continue;
    const xt = r.expr.some((e) => 'xt' in e);
    if (xt) tables.get(tKey)!.hasXt = true;
    chain.rules.push({
      handle: r.handle,
      key: ruleKey(r.expr, r.comment),
      text: texts.get(tKey)?.rulesByHandle.get(r.handle) ?? '',
      counter: counterOf(r.expr),
      xt,
      comment: r.comment ?? null,
    });
  }
  for (const s of parsed.sets) {
    const table = tables.get(tableKey(s.family, s.table));
    if (!table) continue;
    table.sets.push({
      name: s.name,
      kind: s.kind,
      type: typeof s.type === 'string' ? s.type : JSON.stringify(s.type),
      flags: s.flags ?? [],
      elements: (s.elem ?? []).map((e) => JSON.stringify(stripElemCounters(e))),
    });
  }
  for (const o of parsed.others) {
    const table = tables.get(tableKey(o.family, o.table));
    if (table) table.objects.push({ kind: o.kind, name: o.name });
  }
  return { tables: [...tables.values()] };
}

function stripElemCounters(e: unknown): unknown {
  if (e && typeof e === 'object' && 'elem' in (e as Record<string, unknown>)) {
    const inner = { ...((e as { elem: Record<string, unknown> }).elem ?? {}) };
    delete inner.counter;
    delete inner.expires;
    return { elem: inner };
  }
  return e;
}

export function ruleCount(model: RulesetModel): number {
  return model.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0);
}
