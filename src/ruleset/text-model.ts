import { unquote } from './scan.js';
import { splitTables, type ListedBlock, type TableText } from './text.js';
import { tableKey, type ChainModel, type RuleModel, type RulesetModel, type TableModel } from './model.js';

// The outline of a ruleset read from `nft -a list ruleset` text alone: tables, chains (hook, policy),
// rules with their counters. Enough for a snapshot's summary and for telling whose tables these are
// (iptables-nft, firewalld) without the JSON listing, which costs nft a second full fetch of the ruleset.
// Rule keys are their normalised text; the lockout analysis and the plan diff use the JSON model.

const BASE_CHAIN = /^type (\S+) hook (\S+)(?: device "?([^";]+)"?)? priority ([^;]+);(?: policy (\S+);)?/;
const XT = /\bxt (?:match|target|watcher) /;

function priorityNumber(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) ? n : null;
}

function chainOutline(block: ListedBlock): ChainModel {
  const chain: ChainModel = {
    name: unquote(block.name),
    type: null,
    hook: null,
    prio: null,
    policy: null,
    dev: null,
    rules: [],
  };
  const base = block.decl.map((d) => BASE_CHAIN.exec(d)).find((m) => m !== null);
  if (base) {
    chain.type = base[1]!;
    chain.hook = base[2]!;
    chain.dev = base[3] ?? null;
    chain.prio = priorityNumber(base[4]!);
    chain.policy = base[5] ?? null;
  }
  chain.rules = block.rules.map(
    (r): RuleModel => ({
      handle: r.handle,
      key: r.text,
      text: r.text,
      counter: r.counter,
      xt: XT.test(r.raw),
      comment: null,
    }),
  );
  return chain;
}

function tableOutline(t: TableText): TableModel {
  const chains = t.blocks.filter((b) => b.kind === 'chain').map(chainOutline);
  const sets = t.blocks
    .filter((b) => b.kind === 'set' || b.kind === 'map')
    .map((b) => ({ name: unquote(b.name), kind: b.kind as 'set' | 'map', type: '', flags: [], elements: [] }));
  return {
    family: t.family,
    name: t.name,
    key: tableKey(t.family, t.name),
    chains,
    sets,
    objects: [],
    text: t.raw,
    hasXt: chains.some((c) => c.rules.some((r) => r.xt)),
  };
}

/** The outline model of an `nft -a list ruleset` listing. */
export function textModel(listing: string): RulesetModel {
  return { tables: splitTables(listing).map(tableOutline) };
}
