import { parseNftJson, UNREAD_PREFIX, type ParsedNftJson, type UnreadItem } from './nft-json.js';
import { splitTables, withoutVolatile } from './text.js';

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
  /**
   * Parts fwsafe cannot analyse, as nft printed them: statements without a JSON form (a chain binding
   * `jump { … }`, a map update) or the whole rule when its JSON has a shape fwsafe does not read.
   * The rule stays in the diff and the rollback as text; the packet walk treats it as uncertain.
   */
  opaque?: string[];
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
  /** What of this table could not be read (a chain or set of an unknown shape), with why. */
  unanalysed?: string[];
  /** `flags dormant`: its base chains are not attached to their hooks. */
  dormant?: boolean;
}

export interface RulesetModel {
  tables: TableModel[];
  /** What could not be placed in any table (a table of an unknown shape), with why. */
  unanalysed?: string[];
}

export function tableKey(family: string, name: string): string {
  return `${family} ${name}`;
}

type Statement = Record<string, unknown> | string;

/** A raw statement's text without its changing values (counters, quota use, expiry) and layout. */
export function opaqueText(raw: string): string {
  return withoutVolatile(raw).replace(/\s+/g, ' ').trim();
}

/**
 * nft 1.0.6 prints a dormant table's `flags` in JSON as the table's name (a bug), so the text listing
 * (`\tflags dormant`) is read too.
 */
function isDormant(flags: unknown, listed: string[]): boolean {
  return (Array.isArray(flags) ? flags.includes('dormant') : flags === 'dormant') || listed.includes('dormant');
}

/**
 * Removes the counter values (and handle-like noise) from an expression list to get a stable key.
 * A raw statement becomes `{"opaque": TEXT}`, so the key stays a list of objects.
 */
function ruleKey(expr: Statement[], comment: string | undefined): string {
  const stripped = expr.map((e) => {
    if (typeof e === 'string') return { opaque: opaqueText(e) };
    return 'counter' in e ? { counter: null } : e;
  });
  return JSON.stringify(comment ? [stripped, comment] : stripped);
}

function counterOf(expr: Statement[]): Counter | null {
  for (const e of expr) {
    if (typeof e === 'string') continue;
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
    const text = texts.get(key)?.raw ?? '';
    const table: TableModel = {
      family: t.family,
      name: t.name,
      key,
      chains: [],
      sets: [],
      objects: [],
      text,
      hasXt: false,
    };
    if (isDormant(t.flags, texts.get(key)?.flags ?? [])) table.dormant = true;
    if ([t.flags].flat().some((f) => f === 'owner' || f === 'owned')) table.ownerFlag = true;
    tables.set(key, table);
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
    const xt = r.expr.some((e) => typeof e !== 'string' && 'xt' in e);
    if (xt) tables.get(tKey)!.hasXt = true;
    const opaque = r.expr.filter((e): e is string => typeof e === 'string').map(opaqueText);
    const rule: RuleModel = {
      handle: r.handle,
      key: ruleKey(r.expr, r.comment),
      text: texts.get(tKey)?.rulesByHandle.get(r.handle) ?? '',
      counter: counterOf(r.expr),
      xt,
      comment: r.comment ?? null,
    };
    if (opaque.length > 0) rule.opaque = opaque;
    chain.rules.push(rule);
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
  const model: RulesetModel = { tables: [...tables.values()] };
  for (const u of parsed.unread) placeUnread(model, tables, chains, u);
  return model;
}

/** Notes an item fwsafe could not read on its table (or the ruleset), unless it is already an opaque rule. */
function placeUnread(
  model: RulesetModel,
  tables: Map<string, TableModel>,
  chains: Map<string, ChainModel>,
  u: UnreadItem,
): void {
  const key = u.family && u.table !== null ? tableKey(u.family, u.table) : null;
  const table = key ? tables.get(key) : undefined;
  const placed = chains.get(`${table?.key}\u0000${u.chain}`)?.rules.some((r) => r.handle === u.handle);
  if (u.kind === 'rule' && table && placed) return;
  const named =
    u.kind === 'rule' ? (u.chain !== null ? ` in chain ${u.chain}` : '') : u.name !== null ? ` ${u.name}` : '';
  const what = `${u.kind}${u.kind === 'table' ? '' : named}${u.handle !== null ? ` (handle ${u.handle})` : ''}`;
  if (table && u.kind !== 'table') {
    table.unanalysed ??= [];
    table.unanalysed.push(`${what}: ${u.why}`);
  } else {
    model.unanalysed ??= [];
    model.unanalysed.push(
      u.kind === 'table'
        ? `${key ?? 'a table'}: ${u.why}; its chains and rules are not analysed`
        : `${key ?? 'an item'} ${what}: ${u.why}`,
    );
  }
}

/** Is this opaque part a whole rule fwsafe could not read (rather than one raw statement)? */
export const isUnreadRule = (opaque: string): boolean => opaque.startsWith(UNREAD_PREFIX);

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
