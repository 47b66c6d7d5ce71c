import type { Counter } from './model.js';
import { braceDelta, unquote } from './scan.js';

// The one reader of `nft -a list` output: tables → blocks (chains, sets, maps, flowtables, named
// objects) → a chain's rules with their handle and counter. Every reader of a listing starts here.

/** A chain's rule as listed: one line even when nft spreads it over several (a chain binding `jump { … }`). */
export interface ListedRule {
  handle: number;
  /** As listed, counters kept, handle comment gone: what re-creates the rule. */
  raw: string;
  /** Normalised (no handle comment, counters reduced to `counter`): what identifies the rule. */
  text: string;
  counter: Counter | null;
}

/** A block of a table: `chain`, `set`, `map`, `flowtable`, `counter`, `ct helper` … */
export interface ListedBlock {
  kind: string;
  /** The name as listed (quotes kept); `unquote` gives the name itself. */
  name: string;
  handle: number | null;
  /** Indexes of its opening and closing lines in the table's lines (`raw.split('\n')`). */
  from: number;
  to: number;
  /** The lines between the opening line and the closing brace, as listed. */
  body: string[];
  /** A chain's lines that are not rules (`type … hook …`, `comment`, `devices`), trimmed; [] for other blocks. */
  decl: string[];
  /** A chain's rules in listing order; [] for other blocks. */
  rules: ListedRule[];
}

/** One `table F N { ... }` block of `nft -a list ruleset` output, split out. */
export interface TableText {
  family: string;
  name: string;
  /** The table's handle (`table F N { # handle H`), null when the listing has none. */
  handle: number | null;
  /** The block as nft printed it (handles included). */
  raw: string;
  /** The table's own `flags` line (`dormant`, `owner`…), [] when it has none. */
  flags: string[];
  blocks: ListedBlock[];
  /** Rule text by handle, normalised (no handle comment, counters reduced to `counter`). */
  rulesByHandle: Map<number, string>;
}

const TABLE_OPEN = /^table (\S+) (\S+) \{(?: # handle (\d+))?/;
const BLOCK_OPEN = /^([a-z]+(?: [a-z]+)?) ("[^"]*"|\S+) \{(?:\s+# handle (\d+))?\s*$/;
const HANDLE = /\s+# handle (\d+)\s*$/;
const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;
const COUNTERS = new RegExp(COUNTER.source, 'g');

/** The table a listing's first line opens (`table F N { # handle H`), or null. */
export function tableOpening(line: string): { family: string; name: string; handle: number | null } | null {
  const open = TABLE_OPEN.exec(line);
  return open ? { family: open[1]!, name: unquote(open[2]!), handle: open[3] ? Number(open[3]) : null } : null;
}

/** The handle a listed line ends with (`… # handle 7`), or null. */
export function handleOf(line: string): number | null {
  const m = HANDLE.exec(line);
  return m ? Number(m[1]) : null;
}

/** A listed line without its handle comment. */
export function withoutHandle(line: string): string {
  return line.replace(HANDLE, '');
}

/** The first counter's values in a listed rule or element, or null. */
export function counterOf(text: string): Counter | null {
  const m = COUNTER.exec(text);
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : null;
}

/** Counters reduced to `counter`: their values change with traffic, not with the rules. */
export function withoutCounterValues(text: string): string {
  return text.replace(COUNTERS, 'counter');
}

/** Without what traffic and time change: counter values, quota use, element expiry. */
export function withoutVolatile(text: string): string {
  return withoutCounterValues(text)
    .replace(/\bused \d+ [a-z]+/g, '')
    .replace(/ expires [0-9dhms]+/g, '');
}

// A listing is split several times on its way (model, content hash, rollback, scratch load): at 50k
// rules each split is ~0.1 s. The last few results are kept; a caller never mutates them.
const recent: { text: string; tables: TableText[] }[] = [];

/** Splits `nft -a list ruleset` text into table blocks, their blocks and rules. */
export function splitTables(text: string): TableText[] {
  const hit = recent.find((r) => r.text === text);
  if (hit) return hit.tables;
  const tables = splitTablesUncached(text);
  recent.unshift({ text, tables });
  recent.length = Math.min(recent.length, 3);
  return tables;
}

interface Reading {
  table: {
    family: string;
    name: string;
    handle: number | null;
    lines: string[];
    flags: string[];
    blocks: ListedBlock[];
  };
  depth: number;
  block: ListedBlock | null;
  /** A rule spread over lines (a chain binding `jump { … }`): its parts until the braces close. */
  pending: string[] | null;
}

/** splitTables without its cache of recent listings (for many small texts that are split once each). */
export function splitTablesUncached(text: string): TableText[] {
  const tables: TableText[] = [];
  let r: Reading | null = null;
  for (const line of text.split('\n')) {
    if (r === null) {
      const open = tableOpening(line);
      if (open) r = { table: { ...open, lines: [line], flags: [], blocks: [] }, depth: 1, block: null, pending: null };
      continue;
    }
    if (readTableLine(r, line)) continue;
    const { table } = r;
    const rulesByHandle = new Map<number, string>();
    for (const b of table.blocks) for (const rule of b.rules) rulesByHandle.set(rule.handle, rule.text);
    const { lines, ...rest } = table;
    tables.push({ ...rest, raw: lines.join('\n'), rulesByHandle });
    r = null;
  }
  return tables;
}

/** Reads one line of a table; false once the table's closing brace is read. */
function readTableLine(r: Reading, line: string): boolean {
  const index = r.table.lines.length;
  r.table.lines.push(line);
  const trimmed = line.trim();
  const braces = braceDelta(trimmed);
  if (r.depth === 1) {
    const open = braces > 0 ? BLOCK_OPEN.exec(trimmed) : null;
    if (!open && trimmed.startsWith('flags '))
      r.table.flags = trimmed
        .slice(6)
        .split(',')
        .map((f) => f.trim());
    if (open) {
      r.block = {
        kind: open[1]!,
        name: open[2]!,
        handle: open[3] ? Number(open[3]) : null,
        from: index,
        to: index,
        body: [],
        decl: [],
        rules: [],
      };
      r.table.blocks.push(r.block);
    }
  } else if (r.block && r.depth + braces >= 2) {
    r.block.body.push(line);
    if (r.block.kind === 'chain') readChainLine(r, r.block, line, trimmed, braces);
  }
  r.depth += braces;
  if (r.block && r.depth <= 1) {
    r.block.to = index;
    r.block = null;
    r.pending = null;
  }
  return r.depth > 0;
}

function readChainLine(r: Reading, chain: ListedBlock, line: string, trimmed: string, braces: number): void {
  if (r.pending) {
    r.pending.push(trimmed);
    if (r.depth + braces > 2) return;
    const joined = joinRuleLines(r.pending);
    r.pending = null;
    addChainLine(chain, joined);
  } else if (r.depth === 2) {
    if (handleOf(line) === null && braces > 0) r.pending = [trimmed];
    else addChainLine(chain, trimmed);
  }
}

/** A rule when it carries a handle, else a declaration. */
function addChainLine(chain: ListedBlock, text: string): void {
  const handle = handleOf(text);
  if (handle === null || text.startsWith('chain ')) {
    if (text !== '') chain.decl.push(text);
    return;
  }
  const raw = withoutHandle(text).trim();
  chain.rules.push({ handle, raw, text: normaliseRuleText(raw), counter: counterOf(raw) });
}

/**
 * One line of nft text from a rule nft printed over several lines (a chain binding): each inner
 * statement ended by `;`, as `add rule` reads it back (`jump { ip saddr 10.0.0.0/8 accept; drop; }`).
 */
export function joinRuleLines(parts: string[]): string {
  let out = '';
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    if (out === '') out = part;
    else out += out.endsWith('{') ? ` ${part}` : `; ${part}`;
  }
  return out;
}

/** A rule line without its handle comment and with counters/expiry values dropped. */
export function normaliseRuleText(line: string): string {
  return withoutCounterValues(withoutHandle(line)).replace(/ {2,}/g, ' ').trim();
}

/**
 * Normalised text of a ruleset listing: handle comments gone, counters and quota usage zeroed,
 * set-element expiry dropped, tables sorted, so two listings of the same rules compare equal.
 */
export function normaliseRulesetText(text: string): string {
  return splitTables(text)
    .map((table) => ({ key: `${table.family} ${table.name}`, body: normaliseBlock(table.raw) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((table) => table.body)
    .join('\n');
}

export function normaliseBlock(raw: string): string {
  return `${raw
    .split('\n')
    .map((line) => withoutVolatile(withoutHandle(line)).replace(/\s+$/, ''))
    .join('\n')}\n`;
}
