import { HistoryStore } from '../history/store.js';
import { takeSnapshot } from '../snapshot/take.js';
import { buildModel, tableKey } from '../ruleset/model.js';
import { textModel } from '../ruleset/text-model.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { fwsafeTables, laterTable, ownedByOther } from '../history/later-tables.js';
import { replaceTableScript } from './table-script.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';
import { iptablesRestoreSteps } from '../formats/iptables/restore-version.js';
import type { TransactionStepT } from '../formats/types.js';

/** What `rollback VERSION` would do, table by table; `text` is null when nothing differs. */
export interface RestoreProposal {
  versionId: number;
  /** An nft script that brings the managed tables back to the version: planned and applied like any proposal. */
  text: string | null;
  /** Tables rewritten to their content at the version. */
  restored: string[];
  /** Tables fwsafe changes created after the version: deleted. */
  deleted: string[];
  /** Tables of other owners (docker, kube-proxy, firewalld, iptables-nft…) that differ: never touched. */
  foreign: string[];
  /** Tables created after the version by someone other than fwsafe: left alone. */
  notOurs: string[];
  /**
   * The admin's iptables chains (iptables-nft and legacy) that differ from the version: restored natively
   * after the nft script (one iptables-restore per variant and family), never through nft text.
   */
  iptables: { apply: TransactionStepT[]; rollback: TransactionStepT[]; chains: string[] };
}

/**
 * The proposal that restores version N exactly in the tables fwsafe manages: tables of the version
 * that differ now are replaced by their content then, tables fwsafe changes created after it are
 * deleted; tables of other owners are never rewritten or deleted, and tables someone else created
 * since are left alone. The caller holds the lock; the result goes through the gate like any proposal.
 * iptables chains come back natively (`iptables`), chain by chain; the gate attaches them to the plan.
 */
export async function restoreProposal(options: {
  netns: string | null;
  stateDir?: string;
  version: string;
  fromElsewhere?: boolean;
}): Promise<RestoreProposal> {
  const store = new HistoryStore(options.stateDir);
  const versionId = store.resolve(options.version);
  // A version taken on another host or namespace is refused (exit 15) unless --from-elsewhere.
  assertTakenHere(
    `Version ${versionId}`,
    store.get(versionId).where,
    currentWhere(options.netns),
    options.fromElsewhere ?? false,
  );
  const stored = store.snapshot(versionId);
  const { snapshot: live } = await takeSnapshot(options.netns, { json: false, generation: false });
  const storedModel =
    stored.nft.json === null ? textModel(stored.nft.text) : buildModel(stored.nft.json, stored.nft.text);
  const liveModel = textModel(live.nft.text);
  const storedBlocks = new Map(splitTables(stored.nft.text).map((t) => [tableKey(t.family, t.name), t]));
  const liveBlocks = new Map(splitTables(live.nft.text).map((t) => [tableKey(t.family, t.name), t]));
  const ours = fwsafeTables(store, options.netns);
  const out: RestoreProposal = {
    versionId,
    text: null,
    restored: [],
    deleted: [],
    foreign: [],
    notOurs: [],
    iptables: iptablesRestoreSteps(stored, live),
  };
  const script: string[] = [];
  for (const [key, table] of storedBlocks) {
    const now = liveBlocks.get(key);
    if (now && normaliseBlock(now.raw) === normaliseBlock(table.raw)) continue;
    if (ownedByOther(storedModel, key) || ownedByOther(liveModel, key)) {
      out.foreign.push(key);
      continue;
    }
    out.restored.push(key);
    script.push(replaceTableScript(table.family, table.name, table.raw));
  }
  for (const [key, table] of liveBlocks) {
    if (storedBlocks.has(key)) continue;
    const later = laterTable(liveModel, ours, key);
    if (later === 'foreign') out.foreign.push(key);
    else if (later === 'not-ours') out.notOurs.push(key);
    else {
      out.deleted.push(key);
      script.push(replaceTableScript(table.family, table.name, null));
    }
  }
  out.text = script.length > 0 ? script.join('') : null;
  return out;
}
