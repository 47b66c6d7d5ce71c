import { countBraces, joinRuleLines, normaliseBlock, normaliseRuleText } from '../ruleset/text.js';
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

const HANDLE = /\s+# handle \d+\s*$/;
const OPEN = /^\t(chain|set|map) (\S+) \{/;

/** Reads one table block (`table F N { … }` as nft -a lists it) into its objects. */
export function tableObjects(raw: string): TableObjects {
  const lines = raw.split('\n');
  const chains = new Map<string, ChainObject>();
  const sets = new Map<string, SetObject>();
  const rest: string[] = [];
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i]!;
    const open = OPEN.exec(line);
    if (!open) {
      if (line !== '}') rest.push(line);
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== '\t}'; j += 1) body.push(lines[j]!);
    const name = open[2]!;
    if (open[1] === 'chain') chains.set(name, chainOf(name, body));
    else sets.set(name, setOf(open[1] as 'set' | 'map', name, [line, ...body, '\t}']));
    i = j;
  }
  return { chains, sets, rest: normaliseBlock(rest.join('\n')).trim() };
}

function chainOf(name: string, body: string[]): ChainObject {
  const chain: ChainObject = { name, header: null, extra: [], rules: [] };
  // A rule nft prints over several lines (a chain binding `jump { … }`) is one rule: joined until its braces close.
  let pending: { parts: string[]; depth: number } | null = null;
  for (const printed of body) {
    let line = printed;
    if (pending) {
      pending.parts.push(line);
      pending.depth += countBraces(line.trim());
      if (pending.depth > 0) continue;
      line = joinRuleLines(pending.parts);
      pending = null;
    } else if (!/# handle \d+\s*$/.test(line) && countBraces(line.trim()) > 0) {
      pending = { parts: [line], depth: countBraces(line.trim()) };
      continue;
    }
    const text = line.trim();
    if (text === '') continue;
    const handle = /# handle (\d+)\s*$/.exec(line);
    if (/^type \S+ hook /.test(text)) chain.header = text;
    else if (handle) {
      const rawRule = text.replace(HANDLE, '').trim();
      chain.rules.push({ key: normaliseRuleText(rawRule), raw: rawRule, handle: Number(handle[1]) });
    } else chain.extra.push(text);
  }
  return chain;
}

function setOf(kind: 'set' | 'map', name: string, block: string[]): SetObject {
  const text = block.map((l) => l.replace(HANDLE, '')).join('\n');
  const m = /\n\s*elements = \{([\s\S]*?)\}\s*\n/.exec(text);
  const decl = normaliseBlock(m ? text.replace(m[0], '\n') : text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const elements = m
    ? splitElements(m[1]!).map((e) =>
        e.replace(/ expires \S+/g, '').replace(/ counter packets \d+ bytes \d+/g, ' counter'),
      )
    : [];
  const dynamic = decl.some((l) => /^flags .*\b(dynamic|timeout)\b/.test(l) || /^timeout /.test(l));
  return { kind, name, decl, elements, dynamic, raw: text };
}

/** The key of an element, as `delete element` takes it: without timeout, expiry, counter, comment or map value. */
export function elementKey(element: string): string {
  return element.split(/ (?:timeout|expires|counter|comment|quota|limit) | : /)[0]!.trim();
}
