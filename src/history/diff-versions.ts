import { createTwoFilesPatch } from 'diff';
import { HistoryStore } from './store.js';
import { comparableText } from './render-text.js';
import { fwsafeTables, laterTable } from './later-tables.js';
import { takeSnapshot } from '../snapshot/take.js';
import { tableBlocks } from '../snapshot/table-blocks.js';
import { textModel } from '../ruleset/text-model.js';
import { chainOwners, tableOwner } from '../backends/owners.js';
import { isIptablesNftTable } from '../backends/iptables-nft-tables.js';
import { adminPartOf } from '../formats/iptables/admin-part.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';
import type { SnapshotT } from '../snapshot/schema.js';
import type { DiffResultT, NotComparedTableT } from '../contracts/diff.js';

interface Side {
  ref: string;
  version: number | null;
  hash: string;
  snapshot: SnapshotT;
}

async function side(store: HistoryStore, ref: string, netns: string | null): Promise<Side> {
  if (ref === 'live') {
    const { snapshot } = await takeSnapshot(netns, { json: false, generation: false });
    return { ref, version: null, hash: snapshot.hash, snapshot };
  }
  const id = store.resolve(ref);
  const record = store.get(id);
  return { ref, version: id, hash: record.hash, snapshot: store.snapshot(id) };
}

/**
 * Tables of the newer side absent from the older one that `rollback OLDER` would leave alone (other
 * programs' tables, and tables made by hand rather than by a fwsafe change): not fwsafe's to compare.
 */
function notCompared(older: Side, newer: Side, ours: Set<string>, newerSide: 'from' | 'to'): NotComparedTableT[] {
  const before = new Set(tableBlocks(older.snapshot.nft.text).map((t) => t.key));
  // Cut out without parsing a rule first: most diffs have no new table, and a model of 50k rules costs.
  if (tableBlocks(newer.snapshot.nft.text).every((t) => before.has(t.key))) return [];
  const model = textModel(newer.snapshot.nft.text);
  return model.tables
    .filter((t) => !before.has(t.key) && laterTable(model, ours, t.key) !== 'fwsafe')
    .map((t) => ({
      table: t.key,
      owner: tableOwner(t),
      chainOwners: [...new Set(chainOwners(t).values())].sort(),
      iptablesNft: isIptablesNftTable(t),
      side: newerSide,
    }));
}

/** The comparable text of a side without the tables not compared (an iptables-nft table keeps the admin's part). */
function comparable(s: Side, skipped: NotComparedTableT[]): string {
  if (skipped.length === 0) return comparableText(s.snapshot);
  const keys = skipped.map((t) => t.table);
  const xt = (family: string): string[] =>
    skipped.filter((t) => t.iptablesNft && t.table.startsWith(`${family} `)).map((t) => t.table.split(' ')[1]!);
  const { nft, iptablesNft } = s.snapshot;
  return comparableText({
    ...s.snapshot,
    nft: {
      ...nft,
      text: tableBlocks(nft.text)
        .filter((t) => !keys.includes(t.key))
        .map((t) => t.raw)
        .join(''),
    },
    iptablesNft: { v4: adminPartOf(iptablesNft.v4, xt('ip')), v6: adminPartOf(iptablesNft.v6, xt('ip6')) },
  });
}

/**
 * Unified diff between two versions, or a version and the live ruleset (B defaults to live), of the
 * tables fwsafe manages. Tables that appeared after the older side and that fwsafe changes did not create
 * (docker's, kube-proxy's, made by hand) are listed in `notCompared` instead, as `rollback` leaves them.
 */
export async function diffVersions(options: {
  a: string;
  b?: string;
  netns: string | null;
  stateDir?: string;
  fromElsewhere?: boolean;
  /** Compare every table, other owners' too (nothing in `notCompared`). */
  all?: boolean;
}): Promise<DiffResultT> {
  const store = new HistoryStore(options.stateDir);
  // A version against the live ruleset only means something where the version was taken.
  const refs = [options.a, options.b ?? 'live'];
  if (refs.includes('live')) {
    const here = currentWhere(options.netns);
    for (const ref of refs.filter((r) => r !== 'live')) {
      const id = store.resolve(ref);
      assertTakenHere(`Version ${id}`, store.get(id).where, here, options.fromElsewhere ?? false);
    }
  }
  const from = await side(store, options.a, options.netns);
  const to = await side(store, options.b ?? 'live', options.netns);
  // Live is the newest; of two versions, the higher id.
  const age = (s: Side): number => s.version ?? Number.POSITIVE_INFINITY;
  const [older, newer, newerSide] = age(from) > age(to) ? [to, from, 'from' as const] : [from, to, 'to' as const];
  // The fwsafe changes of the namespace the newer side was taken in (live: the one named by --netns).
  const where = newer.version === null ? options.netns : store.get(newer.version).netns;
  const skipped = options.all ? [] : notCompared(older, newer, fwsafeTables(store, where), newerSide);
  const [fromText, toText] = [comparable(from, skipped), comparable(to, skipped)];
  const label = (s: Side): string => (s.version === null ? 'live' : `version ${s.version}`);
  const unified =
    fromText === toText ? '' : createTwoFilesPatch(label(from), label(to), fromText, toText, '', '', { context: 3 });
  let added = 0;
  let removed = 0;
  for (const line of unified.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) removed += 1;
  }
  const strip = ({ snapshot: _snapshot, ...rest }: Side): Omit<Side, 'snapshot'> => rest;
  return {
    from: strip(from),
    to: strip(to),
    identical: fromText === toText,
    added,
    removed,
    unified,
    notCompared: skipped,
  };
}
