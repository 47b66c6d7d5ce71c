import { sameGeneration } from '../backends/nft-generation.js';
import { debugLog } from '../run/debug.js';
import { contentHash, normaliseIptablesSave } from '../snapshot/hash.js';
import { tableBlocks, volatileTable } from '../snapshot/table-blocks.js';

export { pickTables } from '../snapshot/table-blocks.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { takeSnapshot } from '../snapshot/take.js';
import type { HistoryStore } from './store.js';
import type { TableStore } from './table-store.js';

// A rule is a line two tabs deep that ends in its handle (chain and set headers are one tab deep).
const ruleCount = (raw: string): number => raw.match(/^\t\t(?!\t).*# handle \d+$/gm)?.length ?? 0;
const sameLegacy = (a: SnapshotT, b: SnapshotT): boolean =>
  normaliseIptablesSave(a.iptablesLegacy.v4) === normaliseIptablesSave(b.iptablesLegacy.v4) &&
  normaliseIptablesSave(a.iptablesLegacy.v6) === normaliseIptablesSave(b.iptablesLegacy.v6);

/**
 * A whole-ruleset snapshot from a partial one (only `listedTables` listed) and an earlier whole one,
 * when the nft generation proves the other tables unchanged: `steps` commits lie between the two
 * listings (0; or 1 when the caller knows that one was its own, touching listed tables only). Null when
 * it cannot be proven: then list.
 */
export function composeSnapshot(
  from: SnapshotT,
  fromVersion: number,
  partial: SnapshotT,
  steps: 0 | 1,
  tables?: TableStore,
): SnapshotT | null {
  const listed = partial.listedTables;
  if (!listed || from.listedTables) return null;
  if (!sameGeneration(from.generation, partial.generation, steps)) return null;
  // firewalld's zones and iptables-nft saves are not split by table here: reused only when none exist.
  if (from.firewalld !== null || partial.firewalld !== null) return null;
  if (partial.summary.iptablesNft || (steps === 1 && from.summary.iptablesNft)) return null;
  const earlier = tableBlocks(from.nft.text);
  const kept = earlier.filter((t) => !listed.includes(t.key));
  // Known per table text in the table store (a scan of every kept table costs ~0.2 s at 100k rules).
  const volatile = (raw: string): boolean => (tables ? tables.isVolatile(raw) : volatileTable(raw));
  if (kept.some((t) => volatile(t.raw))) return null;
  // `list ruleset` prints tables in creation order, the order of their handles.
  const fresh = tableBlocks(partial.nft.text);
  const blocks = [...kept, ...fresh].sort((a, b) => a.handle - b.handle);
  const text = blocks.map((t) => t.raw).join('');
  // The kept tables' rules are the earlier version's count less those of the tables listed again.
  const relisted = earlier.filter((t) => listed.includes(t.key));
  const rules =
    from.summary.nftRules -
    relisted.reduce((n, t) => n + ruleCount(t.raw), 0) +
    fresh.reduce((n, t) => n + ruleCount(t.raw), 0);
  // Nothing committed, nothing volatile and the same legacy rules: the same content, so the same hash (no need to
  // normalise 50k rules). Otherwise the table store normalises only the tables it has not seen before.
  const legacy = { legacyV4: partial.iptablesLegacy.v4, legacyV6: partial.iptablesLegacy.v6 };
  const hash =
    steps === 0 && sameLegacy(from, partial) && !fresh.some((t) => volatile(t.raw))
      ? from.hash
      : tables
        ? tables.contentHash(blocks, legacy)
        : contentHash({ nftText: text, ...legacy });
  const { listedTables: _listed, ...whole } = partial;
  return {
    ...whole,
    hash,
    nft: { text, json: null },
    iptablesNft: from.iptablesNft,
    summary: { ...partial.summary, nftTables: blocks.length, nftRules: rules, iptablesNft: from.summary.iptablesNft },
    reused: { version: fromVersion, tables: kept.map((t) => t.key) },
  };
}

/**
 * The whole ruleset for a version, from a partial listing: the latest version's tables where the nft
 * generation proves nothing was committed since it was listed, else a full listing.
 */
export async function completeSnapshot(store: HistoryStore, netns: string | null, snap: SnapshotT): Promise<SnapshotT> {
  if (!snap.listedTables) return snap;
  const latest = snap.generation ? store.ids().at(-1) : undefined;
  if (latest !== undefined) {
    try {
      const from = store.snapshot(latest);
      debugLog(`history: version ${latest} read`);
      const composed = composeSnapshot(from, latest, snap, 0, store.tables);
      if (composed) return composed;
    } catch {
      // an unreadable earlier snapshot proves nothing: list
    }
  }
  return (await takeSnapshot(netns, { json: false })).snapshot;
}
