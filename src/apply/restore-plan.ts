import { HistoryStore } from '../history/store.js';
import { takeSnapshot } from '../snapshot/take.js';
import { sha256 } from '../snapshot/hash.js';
import { buildModel } from '../ruleset/model.js';
import { textModel } from '../ruleset/text-model.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { isIptablesNftTable } from '../backends/iptables-nft-tables.js';
import { PLAN_VERSION, type PlanT } from '../plan/schema.js';
import { replaceTableScript } from './table-script.js';
import { FwsafeError, ExitCode } from '../errors.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';

/**
 * A plan that brings back a stored version: the nft tables that version has and that differ from
 * live now, each replaced in one transaction; the rollback puts today's tables back.
 */
export async function planRestore(options: { netns: string | null; stateDir?: string; version: string; fromElsewhere?: boolean }): Promise<{ plan: PlanT; versionId: number; skipped: string[] }> {
  const store = new HistoryStore(options.stateDir);
  const versionId = store.resolve(options.version);
  const here = currentWhere(options.netns);
  assertTakenHere(`Version ${versionId}`, store.get(versionId).where, here, options.fromElsewhere ?? false);
  const stored = store.snapshot(versionId);
  const { snapshot: live } = await takeSnapshot(options.netns, { json: false });
  const storedModel = stored.nft.json === null ? textModel(stored.nft.text) : buildModel(stored.nft.json, stored.nft.text);
  const xt = new Set(storedModel.tables.filter(isIptablesNftTable).map((t) => t.key));
  const liveBlocks = new Map(splitTables(live.nft.text).map((t) => [`${t.family} ${t.name}`, t.raw]));
  const touched = splitTables(stored.nft.text)
    .map((t) => ({ key: `${t.family} ${t.name}`, family: t.family, name: t.name, raw: t.raw }))
    .filter((t) => !xt.has(t.key))
    .filter((t) => normaliseBlock(t.raw) !== (liveBlocks.has(t.key) ? normaliseBlock(liveBlocks.get(t.key)!) : null));
  if (touched.length === 0) {
    throw new FwsafeError(`The live nft tables already match version ${versionId}: nothing to restore.`, { code: 'NOTHING_TO_RESTORE', exitCode: ExitCode.ok });
  }
  const text = touched.map((t) => replaceTableScript(t.family, t.name, t.raw)).join('');
  const zero = { tablesAdded: 0, tablesRemoved: 0, tablesChanged: touched.length, chainsAdded: 0, chainsRemoved: 0, chainsChanged: 0, rulesAdded: 0, rulesRemoved: 0, rulesChanged: 0, setsChanged: 0 };
  const plan: PlanT = {
    version: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    netns: options.netns,
    where: here,
    base: { hash: live.hash, source: 'live', ref: null },
    proposal: { path: `version:${versionId}`, sha256: sha256(text), text },
    result: { hash: stored.hash, touchedText: touched.map((t) => normaliseBlock(t.raw)).join('') },
    touchedTables: touched.map((t) => ({ family: t.family, name: t.name, existedBefore: liveBlocks.has(t.key), existsAfter: true, owner: null, iptablesNft: false })),
    diff: { summary: zero, tables: touched.map((t) => ({ kind: 'changed' as const, table: t.key })), chains: [], rules: [], sets: [], unified: '' },
    counters: [],
    findings: [],
    rollback: {
      nftScript: touched.map((t) => replaceTableScript(t.family, t.name, liveBlocks.get(t.key) ?? null)).join(''),
      iptablesNft: { v4: null, v6: null },
    },
  };
  return { plan, versionId, skipped: [...xt] };
}
