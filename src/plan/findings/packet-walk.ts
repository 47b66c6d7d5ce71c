import { isUnreadRule } from '../../ruleset/model.js';
import type { ChainModel, RuleModel, RulesetModel, TableModel } from '../../ruleset/model.js';

/** A packet arriving at the host, as far as rule analysis needs it. */
export interface Packet {
  family: 'ipv4' | 'ipv6';
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  saddr: string | null;
  daddr: string | null;
  dport: number | null;
  /** `untracked`: packets conntrack never tracks, such as IPv6 neighbour discovery. */
  ctstate: 'new' | 'established' | 'related' | 'untracked';
  /** Interface name, when known; `lo` only for local traffic. */
  iifname: string | null;
  icmpType?: string;
}

export type Verdict = 'accept' | 'drop';

/** A rule (or table) the walk met but cannot analyse at all, and why: never passed over in silence. */
export interface WalkGap {
  location: string;
  why: string;
}

export interface WalkResult {
  verdict: Verdict;
  /** The rule (or policy) that decided, with its table and chain. */
  decidedBy: string;
  /** A rule that might have matched could not be evaluated (sets, xt, marks…): the verdict is a guess. */
  uncertain: boolean;
  /** Opaque rules (chain bindings, raw statements, unread JSON) and unread tables that may apply to the packet. */
  gaps: WalkGap[];
}

/** Why an opaque part of a rule cannot be followed, from the way nft printed it. */
export function opaqueWhy(text: string): string {
  if (isUnreadRule(text)) return 'nft -j printed this rule in a shape fwsafe does not read';
  if (/^(?:jump|goto) \{/.test(text)) {
    return 'it hands the packet to an anonymous chain (a chain binding), which nft -j does not describe';
  }
  if (/^(?:update|add|delete) @/.test(text)) return 'it updates a map with a statement nft -j does not describe';
  return 'nft -j prints one of its statements as raw text';
}

/** A map update has no verdict of its own; anything else printed raw might decide the packet. */
const mayDecide = (text: string): boolean => !/^(?:update|add|delete) @/.test(text);

type Tri = true | false | 'unknown';
type Expr = Record<string, unknown>;
const and = (a: Tri, b: Tri): Tri =>
  a === false || b === false ? false : a === 'unknown' || b === 'unknown' ? 'unknown' : true;

function ipToBigInt(addr: string): { v: bigint; bits: number } | null {
  if (addr.includes(':')) {
    const [head, tail] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8) return null;
    return { v: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n), bits: 128 };
  }
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null;
  return { v: parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n), bits: 32 };
}

function addrIn(addr: string, value: unknown): Tri {
  const a = ipToBigInt(addr);
  if (!a) return 'unknown';
  if (typeof value === 'string') {
    const b = ipToBigInt(value);
    return b ? b.bits === a.bits && b.v === a.v : 'unknown';
  }
  const v = value as Expr;
  if (v && typeof v === 'object' && 'prefix' in v) {
    const p = v.prefix as { addr: string; len: number };
    const b = ipToBigInt(p.addr);
    if (!b || b.bits !== a.bits) return false;
    const shift = BigInt(a.bits - p.len);
    return a.v >> shift === b.v >> shift;
  }
  if (v && typeof v === 'object' && 'range' in v) {
    const [lo, hi] = (v.range as string[]).map((x) => ipToBigInt(x));
    if (!lo || !hi || lo.bits !== a.bits) return 'unknown';
    return a.v >= lo.v && a.v <= hi.v;
  }
  return 'unknown';
}

function scalarIn(x: string | number, value: unknown, addr: boolean): Tri {
  if (addr && typeof x === 'string') return addrIn(x, value);
  if (typeof value === 'number' || typeof value === 'string') return value === x;
  const v = value as Expr;
  if (v && typeof v === 'object' && 'range' in v) {
    const [lo, hi] = v.range as number[];
    return typeof x === 'number' && typeof lo === 'number' && typeof hi === 'number' ? x >= lo && x <= hi : 'unknown';
  }
  return 'unknown';
}

/** Does `x` belong to the right-hand side: a value, a prefix, a range, an anonymous or named set? */
function member(x: string | number, right: unknown, table: TableModel, addr: boolean): Tri {
  let items: unknown[];
  if (typeof right === 'string' && right.startsWith('@')) {
    const set = table.sets.find((s) => s.name === right.slice(1));
    if (!set || set.kind === 'map') return 'unknown';
    items = set.elements.map((e) => JSON.parse(e) as unknown);
  } else if (Array.isArray(right)) items = right;
  else if (right && typeof right === 'object' && 'set' in (right as Expr)) items = (right as { set: unknown[] }).set;
  else items = [right];
  let result: Tri = false;
  for (const item of items) {
    const inner =
      item && typeof item === 'object' && 'elem' in (item as Expr)
        ? (item as { elem: { val: unknown } }).elem.val
        : item;
    const r = scalarIn(x, inner, addr);
    if (r === true) return true;
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

// The packet each state stands for: a login's first packet is a bare SYN, a session's packets carry ACK.
const TCP_FLAGS: Record<Packet['ctstate'], string[] | null> = {
  new: ['syn'],
  established: ['ack', 'psh'],
  related: null,
  untracked: null,
};

/** `tcp flags syn` / `tcp flags { syn, ack }` (op `in`: any of these bits set). */
function tcpFlagsIn(p: Packet, right: unknown): Tri {
  const flags = TCP_FLAGS[p.ctstate];
  const wanted =
    typeof right === 'string'
      ? [right]
      : Array.isArray(right) && right.every((x) => typeof x === 'string')
        ? (right as string[])
        : null;
  if (!flags || !wanted) return 'unknown';
  return wanted.some((f) => flags.includes(f));
}

const L4_OF: Record<string, Packet['proto']> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  'ipv6-icmp': 'icmpv6',
  icmpv6: 'icmpv6',
};

function matchExpr(m: Expr, p: Packet, table: TableModel): Tri {
  const op = String(m.op ?? '==');
  // nft may print an expression it has no JSON for as a raw string: the walk cannot read it.
  if (!m.left || typeof m.left !== 'object') return 'unknown';
  const left = m.left as Expr;
  const right = m.right;
  let base: Tri = 'unknown';
  if (left && 'payload' in left) {
    const pl = left.payload as { protocol?: string; field?: string };
    const proto = pl.protocol;
    if (proto === 'ip' || proto === 'ip6') {
      if ((proto === 'ip') !== (p.family === 'ipv4')) return false;
      if (pl.field === 'saddr' || pl.field === 'daddr') {
        const addr = pl.field === 'saddr' ? p.saddr : p.daddr;
        base = addr === null ? 'unknown' : member(addr, right, table, true);
      } else if (pl.field === 'protocol' || pl.field === 'nexthdr') {
        base =
          typeof right === 'string' || Array.isArray(right) || typeof right === 'object'
            ? member(p.proto === 'icmpv6' ? 'ipv6-icmp' : p.proto, right, table, false)
            : 'unknown';
      } else base = 'unknown';
    } else if (proto === 'tcp' || proto === 'udp' || proto === 'th') {
      if (proto !== 'th' && proto !== p.proto) return false;
      if (proto === 'th' && p.proto !== 'tcp' && p.proto !== 'udp') return false;
      if (pl.field === 'dport') base = p.dport === null ? 'unknown' : member(p.dport, right, table, false);
      else if (pl.field === 'flags' && proto === 'tcp' && op === 'in') base = tcpFlagsIn(p, right);
      else base = 'unknown';
    } else if (proto === 'icmp' || proto === 'icmpv6') {
      if (proto !== p.proto) return false;
      base = pl.field === 'type' && p.icmpType ? member(p.icmpType, right, table, false) : 'unknown';
    } else return 'unknown';
  } else if (left && 'ct' in left) {
    const key = (left.ct as { key?: string }).key;
    if (key !== 'state') return 'unknown';
    base = member(p.ctstate, right, table, false);
  } else if (left && 'meta' in left) {
    const key = (left.meta as { key?: string }).key;
    if (key === 'iifname' || key === 'iif')
      base =
        p.iifname === null
          ? member('lo', right, table, false) === true
            ? false
            : 'unknown'
          : member(p.iifname, right, table, false);
    else if (key === 'l4proto') base = member(p.proto === 'icmpv6' ? 'ipv6-icmp' : p.proto, right, table, false);
    else if (key === 'nfproto') base = member(p.family, right, table, false);
    else if (key === 'protocol') base = member(p.family === 'ipv4' ? 'ip' : 'ip6', right, table, false);
    else return 'unknown';
  } else return 'unknown';
  if (base === 'unknown') return 'unknown';
  if (op === '!=') return !base;
  return base;
}

type VmapResult = { kind: 'hit'; verdict: Expr } | { kind: 'miss' } | { kind: 'unknown' };

/** Which verdict a verdict map (`ct state vmap { established : accept, … }`, `tcp dport vmap @m`) gives the packet. */
function vmapLookup(vmap: Expr, p: Packet, table: TableModel): VmapResult {
  const data = vmap.data;
  let entries: unknown[];
  if (typeof data === 'string' && data.startsWith('@')) {
    const map = table.sets.find((s) => s.name === data.slice(1));
    if (map?.kind !== 'map') return { kind: 'unknown' };
    entries = map.elements.map((e) => JSON.parse(e) as unknown);
  } else if (data && typeof data === 'object' && 'set' in (data as Expr)) entries = (data as { set: unknown[] }).set;
  else return { kind: 'unknown' };
  let unknown = false;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      unknown = true;
      continue;
    }
    const key =
      entry[0] && typeof entry[0] === 'object' && 'elem' in (entry[0] as Expr)
        ? (entry[0] as { elem: { val: unknown } }).elem.val
        : entry[0];
    const hit = matchExpr({ op: '==', left: vmap.key, right: key }, p, table);
    if (hit === true) {
      const verdict = entry[1] as Expr;
      return verdict && typeof verdict === 'object' && !('continue' in verdict)
        ? { kind: 'hit', verdict }
        : { kind: 'miss' };
    }
    if (hit === 'unknown') unknown = true;
  }
  return unknown ? { kind: 'unknown' } : { kind: 'miss' };
}

interface ChainResult {
  kind: 'accept' | 'drop' | 'continue';
  decidedBy: string;
  uncertain: boolean;
}

const ACCEPT_PLACEHOLDER: Expr = { accept: null };

// Statements that never stop a rule from going on to its verdict (they count, log, tag or rewrite).
const PASSIVE = new Set([
  ...['counter', 'log', 'comment', 'continue', 'notrack', 'ct helper', 'ct timeout', 'ct expectation', 'secmark'],
  ...['dup', 'fwd', 'flow', 'snat', 'dnat', 'masquerade', 'redirect', 'tproxy'],
]);

// Every analyser walks many packets through the same rules: parse each rule's key once.
const parsed = new WeakMap<RuleModel, Expr[]>();
function exprsOf(rule: RuleModel): Expr[] {
  let list = parsed.get(rule);
  if (!list) {
    const exprs = JSON.parse(rule.key) as Expr[] | [Expr[], string];
    list = (Array.isArray(exprs[0]) ? exprs[0] : exprs) as Expr[];
    parsed.set(rule, list);
  }
  return list;
}

function walkChain(table: TableModel, chain: ChainModel, p: Packet, depth: number, gaps: WalkGap[]): ChainResult {
  let uncertain = false;
  for (const rule of chain.rules) {
    const list = exprsOf(rule);
    let matched: Tri = true;
    let verdict: Expr | null = null;
    for (const e of list) {
      if ('opaque' in e) {
        // Raw text nft printed for a statement it has no JSON for: the rule's effect is unknown.
        matched = and(matched, 'unknown');
        if (mayDecide(String(e.opaque))) verdict ??= ACCEPT_PLACEHOLDER;
      } else if ('match' in e) matched = and(matched, matchExpr(e.match as Expr, p, table));
      else if ('accept' in e || 'drop' in e || 'reject' in e || 'jump' in e || 'goto' in e || 'return' in e)
        verdict = e;
      // One login is far under any rate: `limit rate X` lets it through, `limit rate over X` does not match it.
      // A named limit (`limit name "x"`) is an object whose rate the walk does not read.
      else if ('limit' in e) {
        const limit = e.limit as { inv?: boolean } | string | null;
        matched = and(matched, typeof limit !== 'object' || limit === null ? 'unknown' : !limit.inv);
      } else if ('vmap' in e) {
        const r = vmapLookup(e.vmap as Expr, p, table);
        if (r.kind === 'hit') verdict = r.verdict;
        else if (r.kind === 'miss') matched = false;
        else {
          matched = and(matched, 'unknown');
          verdict = { accept: null };
        }
      }
      // Userspace (queue) or synproxy decides: the walk cannot tell.
      else if ('queue' in e || 'synproxy' in e) {
        matched = and(matched, 'unknown');
        verdict = { accept: null };
      } else if (Object.keys(e).some((k) => PASSIVE.has(k))) continue;
      // Anything else (quota, meter, ct count, xt, set updates, mangle…) may stop the rule: the walk cannot tell.
      else matched = and(matched, 'unknown');
      if (matched === false) break;
    }
    if (matched === false || verdict === null) continue;
    const where = `${table.key} ${chain.name}: ${rule.text || rule.key}`;
    if (matched === 'unknown') {
      uncertain = true;
      if (rule.opaque) gaps.push({ location: where, why: opaqueWhy(rule.opaque[0]!) });
      continue;
    }
    if ('accept' in verdict) return { kind: 'accept', decidedBy: where, uncertain };
    if ('drop' in verdict || 'reject' in verdict) return { kind: 'drop', decidedBy: where, uncertain };
    if ('return' in verdict) return { kind: 'continue', decidedBy: where, uncertain };
    const target = ((verdict.jump ?? verdict.goto) as { target?: string } | undefined)?.target;
    const next = table.chains.find((c) => c.name === target);
    if (!next || depth > 16) return { kind: 'continue', decidedBy: where, uncertain: true };
    const inner = walkChain(table, next, p, depth + 1, gaps);
    uncertain ||= inner.uncertain;
    if (inner.kind !== 'continue') return { ...inner, uncertain };
    if ('goto' in verdict) return { kind: 'continue', decidedBy: where, uncertain };
  }
  return { kind: 'continue', decidedBy: `${table.key} ${chain.name}: end of chain`, uncertain };
}

function appliesTo(table: TableModel, p: Packet): boolean {
  return (
    table.family === 'inet' ||
    (table.family === 'ip' && p.family === 'ipv4') ||
    (table.family === 'ip6' && p.family === 'ipv6')
  );
}

/** Walks a packet through every filter base chain on the prerouting and input (or forward) hooks, in priority order. */
export function walkInput(model: RulesetModel, p: Packet, hook: 'input' | 'forward' = 'input'): WalkResult {
  const bases = model.tables
    .filter((t) => appliesTo(t, p) && !t.dormant)
    .flatMap((t) =>
      t.chains
        .filter((c) => c.type === 'filter' && (c.hook === hook || c.hook === 'prerouting'))
        .map((c) => ({ t, c })),
    )
    .sort((x, y) => (x.c.hook === y.c.hook ? (x.c.prio ?? 0) - (y.c.prio ?? 0) : x.c.hook === 'prerouting' ? -1 : 1));
  // What could not be read at all (a table or chain of an unknown shape) may hold any verdict.
  const gaps: WalkGap[] = [
    ...(model.unanalysed ?? []).map((why) => ({ location: 'ruleset', why })),
    ...model.tables
      .filter((t) => appliesTo(t, p) && t.unanalysed)
      .flatMap((t) => t.unanalysed!.map((why) => ({ location: t.key, why }))),
  ];
  let uncertain = gaps.length > 0;
  let decidedBy = 'no base chain on the input hook (accepted)';
  for (const { t, c } of bases) {
    const r = walkChain(t, c, p, 0, gaps);
    uncertain ||= r.uncertain;
    if (r.kind === 'drop') return { verdict: 'drop', decidedBy: r.decidedBy, uncertain, gaps };
    if (r.kind === 'continue' && c.policy === 'drop')
      return { verdict: 'drop', decidedBy: `${t.key} ${c.name}: policy drop`, uncertain, gaps };
    decidedBy = r.kind === 'accept' ? r.decidedBy : `${t.key} ${c.name}: policy ${c.policy ?? 'accept'}`;
  }
  return { verdict: 'accept', decidedBy, uncertain, gaps };
}

export function inputChains(model: RulesetModel): { table: TableModel; chain: ChainModel }[] {
  return model.tables.flatMap((t) =>
    t.chains
      .filter((c) => c.type === 'filter' && (c.hook === 'input' || c.hook === 'forward'))
      .map((c) => ({ table: t, chain: c })),
  );
}

export { L4_OF };
