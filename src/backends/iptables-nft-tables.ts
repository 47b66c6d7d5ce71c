import type { RulesetModel, TableModel } from '../ruleset/model.js';

// The tables iptables-nft creates; with xt expressions or the built-in chain names they are its own.
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const XT_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);
// iptables' convention: chains in capitals (DOCKER, KUBE-SERVICES); people writing nft use lowercase.
const IPTABLES_STYLE = /^[A-Z][A-Z0-9_-]*$/;

/** Is this nft table managed by iptables-nft (so it must be saved/restored with iptables-nft-*)? */
export function isIptablesNftTable(table: TableModel): boolean {
  if (table.family !== 'ip' && table.family !== 'ip6') return false;
  if (table.hasXt) return true;
  if (!XT_TABLES.has(table.name) || table.chains.length === 0) return false;
  // `iptables -t nat -N DOCKER` makes an `ip nat` holding only DOCKER (built-in chains appear on first use).
  return table.chains.some((c) => XT_CHAINS.has(c.name)) || table.chains.every((c) => IPTABLES_STYLE.test(c.name));
}

export function iptablesNftFamilies(model: RulesetModel): { v4: boolean; v6: boolean } {
  const managed = model.tables.filter(isIptablesNftTable);
  return { v4: managed.some((t) => t.family === 'ip'), v6: managed.some((t) => t.family === 'ip6') };
}
