import { z } from 'zod';
import { ITEMS, type ItemKind } from './operations.js';

/** Items of one zone or policy, each a sorted list; on/off settings (masquerade, forward, …) are [] or ['yes']. */
export const Items = z.record(z.string(), z.array(z.string()));
export type ItemsT = z.infer<typeof Items>;

/** firewalld's configuration (runtime or permanent): what fwsafe compares, stages and rolls back. */
export const FirewalldState = z.strictObject({
  defaultZone: z.string(),
  zones: z.record(z.string(), Items),
  policies: z.record(z.string(), Items),
});
export type FirewalldStateT = z.infer<typeof FirewalldState>;

// `--list-all` keys → item kinds. Lists are space separated; forward ports and rich rules one per tab-indented line.
const LIST_KEYS: Record<string, ItemKind> = {
  interfaces: 'interface',
  sources: 'source',
  services: 'service',
  ports: 'port',
  protocols: 'protocol',
  'source-ports': 'source-port',
  'icmp-blocks': 'icmp-block',
  'forward-ports': 'forward-port',
  'rich rules': 'rich-rule',
  'ingress-zones': 'ingress-zone',
  'egress-zones': 'egress-zone',
};
const FLAG_KEYS: Record<string, ItemKind> = {
  masquerade: 'masquerade',
  forward: 'forward',
  'icmp-block-inversion': 'icmp-block-inversion',
};
const MULTILINE = new Set(['forward-ports', 'rich rules']);

/** Parses `firewall-cmd [--permanent] --list-all-zones` or `--list-all-policies` into items per name. */
export function parseListAll(text: string): Record<string, ItemsT> {
  const out: Record<string, ItemsT> = {};
  let current: ItemsT | null = null;
  let multi: ItemKind | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      multi = null;
      continue;
    }
    const header = /^(\S+)(?:\s+\([^)]*\))?\s*$/.exec(line);
    if (header) {
      current = {};
      out[header[1]!] = current;
      multi = null;
      continue;
    }
    if (!current) continue;
    if (multi && line.startsWith('\t')) {
      current[multi]!.push(line.trim());
      continue;
    }
    const kv = /^\s+([a-z -]+):\s?(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!;
    const value = kv[2]!.trim();
    multi = null;
    if (key in LIST_KEYS) {
      const item = LIST_KEYS[key]!;
      current[item] = MULTILINE.has(key) ? (value ? [value] : []) : value.split(/\s+/).filter(Boolean);
      if (MULTILINE.has(key)) multi = item;
    } else if (key in FLAG_KEYS) current[FLAG_KEYS[key]!] = value === 'yes' ? ['yes'] : [];
    // Not stageable at runtime, but it decides: a zone with target ACCEPT (trusted) allows everything.
    else if (key === 'target') current.target = [value];
  }
  for (const items of Object.values(out)) for (const k of Object.keys(items)) items[k] = [...new Set(items[k])].sort();
  return out;
}

/** One item kind of one zone/policy that differs between two states. */
export interface ItemChange {
  container: string;
  kind: 'zone' | 'policy';
  item: ItemKind;
  added: string[];
  removed: string[];
}

export interface StateDiff {
  defaultZone: { from: string; to: string } | null;
  changes: ItemChange[];
  /** Zones/policies that exist in only one state: runtime operations cannot create or delete them. */
  unmatched: string[];
}

function diffContainers(
  kind: 'zone' | 'policy',
  a: Record<string, ItemsT>,
  b: Record<string, ItemsT>,
  out: StateDiff,
  only?: Set<string>,
): void {
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name];
    const y = b[name];
    if (!x || !y) {
      out.unmatched.push(`${kind} ${name}`);
      continue;
    }
    for (const item of new Set([...Object.keys(x), ...Object.keys(y)]) as Set<ItemKind>) {
      if (!(item in ITEMS) || (only && !only.has(`${kind}:${name}:${item}`))) continue;
      const from = new Set(x[item] ?? []);
      const to = new Set(y[item] ?? []);
      const added = [...to].filter((v) => !from.has(v));
      const removed = [...from].filter((v) => !to.has(v));
      if (added.length + removed.length > 0) out.changes.push({ container: name, kind, item, added, removed });
    }
  }
}

/** What differs from `a` to `b`, zone by zone and policy by policy. */
export function diffStates(a: FirewalldStateT, b: FirewalldStateT): StateDiff {
  const out: StateDiff = {
    defaultZone: a.defaultZone !== b.defaultZone ? { from: a.defaultZone, to: b.defaultZone } : null,
    changes: [],
    unmatched: [],
  };
  diffContainers('zone', a.zones, b.zones, out);
  diffContainers('policy', a.policies, b.policies, out);
  return out;
}

export const isEmptyDiff = (d: StateDiff): boolean => d.defaultZone === null && d.changes.length === 0;

const FLAG_ITEMS = new Set<ItemKind>(['masquerade', 'forward', 'icmp-block-inversion']);

/**
 * firewall-cmd argv lists (runtime) that take a state where `diff` was made to the state before it, touching
 * only the items in the diff: what others changed meanwhile stays. Each operation is idempotent (firewalld
 * answers ALREADY_ENABLED / NOT_ENABLED with exit 0), so a partial or repeated run converges.
 */
export function inverseOps(diff: StateDiff): string[][] {
  return transitionOps(diff, 'backward');
}

/** The argv lists that make the diff happen (forward), e.g. to bring a scratch firewalld to the live state. */
export function forwardOps(diff: StateDiff): string[][] {
  return transitionOps(diff, 'forward');
}

function transitionOps(diff: StateDiff, direction: 'forward' | 'backward'): string[][] {
  const moves: string[][] = [];
  const removes: string[][] = [];
  const adds: string[][] = [];
  // Interfaces and sources belong to one zone at a time: a value removed here and added there is a move.
  for (const item of ['interface', 'source'] as const) {
    const from = new Map<string, string>();
    const to = new Map<string, string>();
    for (const c of diff.changes.filter((x) => x.kind === 'zone' && x.item === item)) {
      for (const v of direction === 'forward' ? c.removed : c.added) from.set(v, c.container);
      for (const v of direction === 'forward' ? c.added : c.removed) to.set(v, c.container);
    }
    for (const v of new Set([...from.keys(), ...to.keys()])) {
      const a = from.get(v);
      const b = to.get(v);
      if (a && b) moves.push([`--zone=${b}`, `--change-${item}=${v}`]);
      else if (a) removes.push([`--zone=${a}`, `--remove-${item}=${v}`]);
      else if (b) adds.push([`--zone=${b}`, `--add-${item}=${v}`]);
    }
  }
  for (const c of diff.changes) {
    if (c.kind === 'zone' && (c.item === 'interface' || c.item === 'source')) continue;
    const scope = c.kind === 'zone' ? `--zone=${c.container}` : `--policy=${c.container}`;
    const toAdd = direction === 'forward' ? c.added : c.removed;
    const toRemove = direction === 'forward' ? c.removed : c.added;
    const argv = (verb: 'add' | 'remove', v: string): string[] => [
      scope,
      FLAG_ITEMS.has(c.item) ? `--${verb}-${c.item}` : `--${verb}-${c.item}=${v}`,
    ];
    for (const v of toRemove) removes.push(argv('remove', v));
    for (const v of toAdd) adds.push(argv('add', v));
  }
  const def = diff.defaultZone
    ? [[`--set-default-zone=${direction === 'forward' ? diff.defaultZone.to : diff.defaultZone.from}`]]
    : [];
  return [...removes, ...moves, ...adds, ...def];
}

/** Does `state` hold the items of `diff` as they are on its `side` (before: removed present, added absent)? Lists what does not. */
export function mismatches(state: FirewalldStateT, diff: StateDiff, side: 'before' | 'after'): string[] {
  const out: string[] = [];
  if (diff.defaultZone) {
    const want = side === 'before' ? diff.defaultZone.from : diff.defaultZone.to;
    if (state.defaultZone !== want) out.push(`default zone is ${state.defaultZone}, not ${want}`);
  }
  for (const c of diff.changes) {
    const items = (c.kind === 'zone' ? state.zones : state.policies)[c.container];
    const have = new Set(items?.[c.item] ?? []);
    const present = side === 'before' ? c.removed : c.added;
    const absent = side === 'before' ? c.added : c.removed;
    for (const v of present) if (!have.has(v)) out.push(`${c.kind} ${c.container}: ${c.item} ${v} missing`);
    for (const v of absent) if (have.has(v)) out.push(`${c.kind} ${c.container}: ${c.item} ${v} present`);
  }
  return out;
}
