import {
  normaliseBlock,
  withoutCounterValues,
  withoutHandle,
  type ListedBlock,
  type TableText,
} from '../ruleset/text.js';
import { splitElements } from '../plan/element-lines.js';

// One table of `nft -a list ruleset` text, read as the objects an inverse rollback works on: chains
// with their header and rules (by handle), sets/maps with their declaration and elements, and the rest
// of the table (flags, named counters and quotas, flowtables, ct objects) as normalised text.

export interface RuleLine {
  /** Normalised text (no handle, counter values dropped): what identifies the rule. */
  key: string;
  /** The rule as listed, counters included, handle comment gone: what re-creates it. */
  raw: string;
  handle: number;
}

export interface ChainObject {
  name: string;
  /** `type filter hook input priority filter; policy accept;` for a base chain, else null. */
  header: string | null;
  /** Other declaration lines (comment, devices): compared, never edited. */
  extra: string[];
  rules: RuleLine[];
}

export interface SetObject {
  kind: 'set' | 'map';
  name: string;
  /** Declaration lines other than the elements (type, flags, timeout, size…), normalised. */
  decl: string[];
  /** The element list as listed (normalised: expiry dropped). */
  elements: string[];
  /** Filled by packets or expiring: its elements are not the change's to undo. */
  dynamic: boolean;
  /** The block as listed (handles removed), to re-create the set whole. */
  raw: string;
}

export interface TableObjects {
  chains: Map<string, ChainObject>;
  sets: Map<string, SetObject>;
  /** Everything else in the table, normalised. */
  rest: string;
}

const SETS = new Set(['set', 'map']);

/** Reads one table of a listing (as `splitTables` reads it) into its objects. */
export function tableObjects(table: TableText): TableObjects {
  const lines = table.raw.split('\n');
  const chains = new Map<string, ChainObject>();
  const sets = new Map<string, SetObject>();
  const own = new Set<number>([0]);
  for (const b of table.blocks) {
    if (b.kind === 'chain') chains.set(b.name, chainOf(b));
    else if (SETS.has(b.kind)) sets.set(b.name, setOf(b.kind as 'set' | 'map', b.name, lines.slice(b.from, b.to + 1)));
    else continue;
    for (let i = b.from; i <= b.to; i += 1) own.add(i);
  }
  const rest = lines.filter((line, i) => !own.has(i) && line !== '}');
  return { chains, sets, rest: normaliseBlock(rest.join('\n')).trim() };
}

function chainOf(block: ListedBlock): ChainObject {
  const header = block.decl.find((d) => /^type \S+ hook /.test(d)) ?? null;
  return {
    name: block.name,
    header,
    extra: block.decl.filter((d) => d !== header),
    rules: block.rules.map((r) => ({ key: r.text, raw: r.raw, handle: r.handle })),
  };
}

function setOf(kind: 'set' | 'map', name: string, block: string[]): SetObject {
  const text = block.map(withoutHandle).join('\n');
  const m = /\n\s*elements = \{([\s\S]*?)\}\s*\n/.exec(text);
  const decl = normaliseBlock(m ? text.replace(m[0], '\n') : text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const elements = m ? splitElements(m[1]!).map((e) => withoutCounterValues(e.replace(/ expires \S+/g, ''))) : [];
  const dynamic = decl.some((l) => /^flags .*\b(dynamic|timeout)\b/.test(l) || /^timeout /.test(l));
  return { kind, name, decl, elements, dynamic, raw: text };
}

/** The key of an element, as `delete element` takes it: without timeout, expiry, counter, comment or map value. */
export function elementKey(element: string): string {
  return element.split(/ (?:timeout|expires|counter|comment|quota|limit) | : /)[0]!.trim();
}
