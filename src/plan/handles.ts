import { tableKey } from '../ruleset/model.js';
import { splitComment, stripComments, unquote } from '../ruleset/scan.js';
import { splitTables } from '../ruleset/text.js';

// Handles are allocated by the kernel per table in creation order, so a base reloaded into a scratch
// namespace gets different handles from the live one. A proposal naming live handles (`delete rule …
// handle N`, `insert rule … position N`) is translated to the scratch handles of the same objects before
// the kernel runs it there; the plan still records (and apply still runs) the user's text.

export interface TableHandles {
  /** Rule handles of each chain, in listing order. */
  rules: Map<string, number[]>;
  /** `chain input`, `set blocklist`, `flowtable f` … → handle. */
  objects: Map<string, number>;
  table: number | null;
}

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/** The handles of an `nft -a list ruleset` listing, per table (`family name`). Blocks without a handle comment are left out. */
export function parseHandles(listing: string): Map<string, TableHandles> {
  const out = new Map<string, TableHandles>();
  for (const t of splitTables(listing)) {
    const table: TableHandles = { rules: new Map(), objects: new Map(), table: t.handle };
    for (const b of t.blocks) {
      if (b.handle !== null) table.objects.set(`${b.kind} ${unquote(b.name)}`, b.handle);
      if (b.kind === 'chain')
        table.rules.set(
          unquote(b.name),
          b.rules.map((r) => r.handle),
        );
    }
    out.set(tableKey(t.family, t.name), table);
  }
  return out;
}

/** live handle → scratch handle, per table, for rules (per chain, by position) and named objects. */
interface TableMap {
  rules: Map<string, Map<number, number>>;
  objects: Map<number, number>;
  /** [live, scratch] handle of the table itself (table handles are per family, not per table). */
  table: [number, number] | null;
}

function handleMaps(live: Map<string, TableHandles>, scratch: Map<string, TableHandles>): Map<string, TableMap> {
  const out = new Map<string, TableMap>();
  for (const [key, l] of live) {
    const s = scratch.get(key);
    if (!s) continue;
    const rules = new Map<string, Map<number, number>>();
    for (const [chain, handles] of l.rules) {
      const other = s.rules.get(chain);
      // Same listing loaded again: same rules in the same order; anything else is not mapped.
      if (!other || other.length !== handles.length) continue;
      rules.set(chain, new Map(handles.map((h, i) => [h, other[i]!])));
    }
    const objects = new Map<number, number>();
    for (const [name, h] of l.objects) if (s.objects.has(name)) objects.set(h, s.objects.get(name)!);
    out.set(key, { rules, objects, table: l.table !== null && s.table !== null ? [l.table, s.table] : null });
  }
  return out;
}

// `[add|insert|replace|delete|destroy] rule [FAMILY] TABLE CHAIN handle|position N` and
// `delete|destroy KIND [FAMILY] TABLE handle N`, `delete table [FAMILY] handle N`.
const RULE_REF =
  /\b((?:(?:add|insert|replace|delete|destroy)\s+)?rule\s+)((?:[a-z0-9]+\s+)?)("[^"]*"|[^\s{};"]+)(\s+)("[^"]*"|[^\s{};"]+)(\s+(?:handle|position)\s+)(\d+)\b/g;
const OBJECT_REF =
  /\b((?:delete|destroy)\s+(?:chain|set|map|flowtable|counter|quota|limit|secmark|synproxy|ct\s+helper|ct\s+timeout|ct\s+expectation)\s+)((?:[a-z0-9]+\s+)?)("[^"]*"|[^\s{};"]+)(\s+handle\s+)(\d+)\b/g;
const TABLE_REF = /\b((?:delete|destroy)\s+table\s+)((?:[a-z0-9]+\s+)?)(handle\s+)(\d+)\b/g;

/** Does the proposal refer to anything by handle (the only references that differ in a scratch copy)? */
export function hasHandleReferences(proposal: string): boolean {
  return /\b(?:handle|position)\s+\d+/.test(stripComments(proposal));
}

export interface Translation {
  text: string;
  /** Lines that were rewritten: nft's error output quotes the rewritten line, shown to the user as the original. */
  rewrites: { original: string; rewritten: string }[];
}

/**
 * Rewrites live handles in a proposal into the handles the same objects have in the scratch copy.
 * A handle that names nothing live becomes one that names nothing in scratch, so nft refuses it as live would.
 */
export function translateHandles(liveListing: string, scratchListing: string, proposal: string): Translation {
  if (!hasHandleReferences(proposal)) return { text: proposal, rewrites: [] };
  const maps = handleMaps(parseHandles(liveListing), parseHandles(scratchListing));
  const familyOf = (raw: string): string | null => {
    const f = raw.trim();
    if (f === '') return 'ip';
    return FAMILIES.has(f) ? f : null;
  };
  // Far above any handle a freshly loaded scratch copy can have.
  const missing = (h: number): string => String(4_000_000_000 + h);
  const rewrites: Translation['rewrites'] = [];
  const lines = proposal.split('\n').map((line) => {
    const { code, comment } = splitComment(line);
    if (!/\b(?:handle|position)\s+\d+/.test(code)) return line;
    let next = code
      .replace(
        RULE_REF,
        (all, verb: string, fam: string, table: string, sp: string, chain: string, kw: string, n: string) => {
          const family = familyOf(fam);
          const t = family ? maps.get(tableKey(family, unquote(table))) : undefined;
          const m = t?.rules.get(unquote(chain));
          if (!t || !m) return all;
          return `${verb}${fam}${table}${sp}${chain}${kw}${m.get(Number(n)) ?? missing(Number(n))}`;
        },
      )
      .replace(OBJECT_REF, (all, verb: string, fam: string, table: string, kw: string, n: string) => {
        const family = familyOf(fam);
        const t = family ? maps.get(tableKey(family, unquote(table))) : undefined;
        if (!t) return all;
        return `${verb}${fam}${table}${kw}${t.objects.get(Number(n)) ?? missing(Number(n))}`;
      })
      .replace(TABLE_REF, (all, verb: string, fam: string, kw: string, n: string) => {
        const family = familyOf(fam);
        if (!family) return all;
        const hit = [...maps.entries()].find(([key, t]) => key.startsWith(`${family} `) && t.table?.[0] === Number(n));
        return `${verb}${fam}${kw}${hit ? hit[1].table![1] : missing(Number(n))}`;
      });
    next += comment;
    if (next !== line) rewrites.push({ original: line, rewritten: next });
    return next;
  });
  return { text: lines.join('\n'), rewrites };
}
