import { countBraces, joinRuleLines, normaliseRuleText, splitTables } from './text.js';
import type { ChainModel, RuleModel, RulesetModel, TableModel } from './model.js';

// The outline of a ruleset read from `nft -a list ruleset` text alone: tables, chains (hook, policy),
// rules with their counters. Enough for a snapshot's summary and for telling whose tables these are
// (iptables-nft, firewalld) without the JSON listing, which costs nft a second full fetch of the ruleset.
// Rule keys are their normalised text; the lockout analysis and the plan diff use the JSON model.

const CHAIN_OPEN = /^\tchain (\S+) \{/;
const SET_OPEN = /^\t(set|map) (\S+) \{/;
const BASE_CHAIN = /^\t\ttype (\S+) hook (\S+)(?: device "?([^";]+)"?)? priority ([^;]+);(?: policy (\S+);)?/;
const RULE = /^\t\t(.*\S) # handle (\d+)$/;
const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;
const XT = /\bxt (?:match|target|watcher) /;

const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');

function priorityNumber(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) ? n : null;
}

function tableOutline(family: string, name: string, raw: string): TableModel {
  const table: TableModel = {
    family,
    name,
    key: `${family} ${name}`,
    chains: [],
    sets: [],
    objects: [],
    text: raw,
    hasXt: false,
  };
  let chain: ChainModel | null = null;
  // A rule nft prints over several lines (a chain binding): its lines until the braces close.
  let pending: { parts: string[]; depth: number } | null = null;
  for (const printed of raw.split('\n')) {
    let line = printed;
    if (pending) {
      pending.parts.push(line);
      pending.depth += countBraces(line);
      if (pending.depth > 0) continue;
      line = `\t\t${joinRuleLines(pending.parts)}`;
      pending = null;
    } else if (chain && line.startsWith('\t\t') && !/ # handle \d+$/.test(line) && countBraces(line) > 0) {
      pending = { parts: [line], depth: countBraces(line) };
      continue;
    }
    const open = CHAIN_OPEN.exec(line);
    if (open) {
      chain = { name: unquote(open[1]!), type: null, hook: null, prio: null, policy: null, dev: null, rules: [] };
      table.chains.push(chain);
      continue;
    }
    const set = SET_OPEN.exec(line);
    if (set) {
      chain = null;
      table.sets.push({ name: unquote(set[2]!), kind: set[1] as 'set' | 'map', type: '', flags: [], elements: [] });
      continue;
    }
    if (line === '\t}') chain = null;
    if (!chain) continue;
    const base = BASE_CHAIN.exec(line);
    if (base) {
      chain.type = base[1]!;
      chain.hook = base[2]!;
      chain.dev = base[3] ?? null;
      chain.prio = priorityNumber(base[4]!);
      chain.policy = base[5] ?? null;
      continue;
    }
    const rule = RULE.exec(line);
    if (!rule) continue;
    const text = normaliseRuleText(rule[1]!);
    const counter = COUNTER.exec(rule[1]!);
    const xt = XT.test(rule[1]!);
    if (xt) table.hasXt = true;
    const r: RuleModel = {
      handle: Number(rule[2]),
      key: text,
      text,
      counter: counter ? { packets: Number(counter[1]), bytes: Number(counter[2]) } : null,
      xt,
      comment: null,
    };
    chain.rules.push(r);
  }
  return table;
}

/** The outline model of an `nft -a list ruleset` listing. */
export function textModel(listing: string): RulesetModel {
  return { tables: splitTables(listing).map((t) => tableOutline(t.family, t.name, t.raw)) };
}
