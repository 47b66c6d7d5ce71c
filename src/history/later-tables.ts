import { tableOwner } from '../backends/owners.js';
import type { RulesetModel } from '../ruleset/model.js';
import type { HistoryStore } from './store.js';

/** Is this table another program's (docker, kube-proxy, firewalld, iptables-nft…) in this model? */
export function ownedByOther(model: RulesetModel, key: string): boolean {
  const table = model.tables.find((t) => t.key === key);
  return table !== undefined && tableOwner(table) !== null;
}

/** Tables any fwsafe change (apply or restore) in this namespace's history touched. */
export function fwsafeTables(store: HistoryStore, netns: string | null): Set<string> {
  const { records } = store.list();
  return new Set(records.filter((r) => r.netns === netns).flatMap((r) => r.change?.touchedTables ?? []));
}

/**
 * A table that exists now (in `model`) but not in an older version: another program's (`foreign`),
 * someone else's made by hand (`not-ours`), or created by a fwsafe change (`fwsafe`). `rollback VERSION`
 * deletes only the last kind; `diff` compares only the last kind.
 */
export function laterTable(model: RulesetModel, ours: Set<string>, key: string): 'foreign' | 'not-ours' | 'fwsafe' {
  if (ownedByOther(model, key)) return 'foreign';
  return ours.has(key) ? 'fwsafe' : 'not-ours';
}
