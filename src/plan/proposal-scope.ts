import { tableKey } from '../ruleset/model.js';
import { topLevel, unquote } from '../ruleset/scan.js';

// Which live tables a proposal's effect depends on. nft objects live in tables, and a table's
// contents cannot reach into another one, so the kernel computes a proposal's effect exactly from
// the tables the proposal names. The scratch namespace then holds only those, not the whole ruleset:
// at 50k rules that is the difference between reloading 50k rules and reloading none.

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERBS = new Set(['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'rename', 'get']);
const OBJECTS = new Set([
  'table',
  'chain',
  'rule',
  'set',
  'map',
  'element',
  'counter',
  'quota',
  'limit',
  'flowtable',
  'secmark',
  'synproxy',
  'ct',
]);

export type ProposalScope =
  /** Depends on the whole ruleset (`flush ruleset`, an include, a variable table name, anything not understood). */
  | { kind: 'all'; why: string }
  | {
      kind: 'tables';
      /** Tables whose live contents the proposal builds on: loaded whole. */
      needed: string[];
      /** Tables the proposal deletes before using (`table T` + `delete table T` + new body): their contents do not matter. */
      replaced: string[];
      /** Replaced tables whose first mention is `delete table T`: that fails unless T exists, so an empty stand-in is loaded when it does. */
      mustExist: string[];
    };

/** `[family] name` at tokens[i]: the table key, or null when it is not a literal name. */
function tableAt(tokens: string[], i: number): string | null {
  let family = 'ip';
  let name = tokens[i];
  if (name !== undefined && FAMILIES.has(name) && tokens[i + 1] !== undefined && tokens[i + 1] !== '{') {
    family = name;
    name = tokens[i + 1];
  }
  if (name === undefined || name === '{' || name.startsWith('$') || name.startsWith('@')) return null;
  return tableKey(family, unquote(name));
}

type Use = 'declare' | 'delete' | 'other';

/** What a statement does to which table; null when it does not name one we understand. */
function classify(tokens: string[]): { table: string; use: Use } | { all: string } | { none: true } {
  const [first, second] = tokens;
  if (first === 'define' || first === 'redefine' || first === 'undefine') return { none: true };
  if (first === 'include') return { all: 'it includes another file' };
  if (first === 'table') {
    const table = tableAt(tokens, 1);
    if (!table) return { all: 'a table name is a variable' };
    return { table, use: tokens.includes('{') ? 'other' : 'declare' };
  }
  if (first === undefined || !VERBS.has(first)) return { all: `\`${first}\` is not a command fwsafe scopes` };
  if (second === 'ruleset') return { all: `it runs \`${first} ruleset\`` };
  if (second === undefined || !OBJECTS.has(second))
    return { all: `\`${first} ${second ?? ''}\` is not a command fwsafe scopes` };
  const at = second === 'ct' ? 3 : 2;
  const table = tableAt(tokens, at);
  if (!table) return { all: 'a table name is a variable' };
  if (second === 'table') {
    if (first === 'delete' || first === 'destroy') return { table, use: 'delete' };
    if (first === 'add' && !tokens.includes('{')) return { table, use: 'declare' };
  }
  return { table, use: 'other' };
}

/**
 * The tables a proposal depends on. A table is *replaced* when nothing but bare declarations
 * (`table T`, `add table T`) comes before its `delete`/`destroy table T`: its live contents cannot
 * change the result. Every other table named is *needed*.
 */
export function proposalScope(text: string): ProposalScope {
  const state = new Map<string, { uses: Use[] }>();
  for (const { words } of topLevel(text)) {
    const c = classify(words);
    if ('all' in c) return { kind: 'all', why: c.all };
    if ('none' in c) continue;
    const entry = state.get(c.table) ?? { uses: [] };
    entry.uses.push(c.use);
    state.set(c.table, entry);
  }
  const needed: string[] = [];
  const replaced: string[] = [];
  const mustExist: string[] = [];
  for (const [table, { uses }] of state) {
    const firstDelete = uses.indexOf('delete');
    const beforeDelete = firstDelete === -1 ? uses : uses.slice(0, firstDelete);
    if (firstDelete !== -1 && beforeDelete.every((u) => u === 'declare')) {
      replaced.push(table);
      if (firstDelete === 0) mustExist.push(table);
    } else needed.push(table);
  }
  return { kind: 'tables', needed: needed.sort(), replaced: replaced.sort(), mustExist: mustExist.sort() };
}
