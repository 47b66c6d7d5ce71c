import { listNftRuleset, listNftTableSet, listNftTableSetText, listNftText, type NftListing } from '../backends/nft.js';
import { nftGeneration, sameGeneration, type GenerationT } from '../backends/nft-generation.js';
import { textModel } from '../ruleset/text-model.js';
import { legacyTableNames, saveIptablesNft, saveLegacy } from '../backends/iptables.js';
import { iptablesNftFamilies } from '../backends/iptables-nft-tables.js';
import { captureFirewalld, hasFirewalldMarks } from '../backends/firewalld.js';
import { buildModel, ruleCount, type RulesetModel } from '../ruleset/model.js';
import { contentHash } from './hash.js';
import { SNAPSHOT_SCHEMA, type SnapshotT } from './schema.js';

export interface TakenSnapshot {
  snapshot: SnapshotT;
  model: RulesetModel;
}

export interface SnapshotOptions {
  /**
   * Also list the ruleset as JSON (default true): the full model the plan analyses. A record of the
   * rules (versions, drift checks, diffs) needs only the text: nft then fetches the ruleset once, not twice.
   */
  json?: boolean;
  /**
   * Saves the caller started before calling (an iptables change knows its variants and families; at most
   * one per variant and family): each runs beside nft's listing instead of after it, and is kept only where
   * the listing (or /proc) shows that variant's tables for the family, exactly as the snapshot's own save would be.
   */
  early?: EarlySave[] | null;
  /**
   * List only these tables (`family name` keys): a partial snapshot for a plan or a drift check, marked
   * with `listedTables`; a version is completed from it (src/history/complete-snapshot.ts).
   */
  tables?: string[];
  /**
   * A generation known to be at or below the one the listing starts at (a commit the caller saw finish):
   * one reading after the listing then proves it (equal to the floor), none is needed before it.
   */
  floor?: GenerationT;
  /** `tables` are all the tables there are (the caller found them): the snapshot is a whole one, not marked partial. */
  complete?: boolean;
  /**
   * Read the nft generation around the listing (default true): what lets a later version reuse this one's
   * tables. A snapshot that is never stored (an export, a diff against live, a restore's comparison) skips
   * the two python3 runs.
   */
  generation?: boolean;
}

export interface EarlySave {
  variant: 'nft' | 'legacy';
  family: 'v4' | 'v6';
  /** saveVariant(netns, variant, family), already started. */
  text: Promise<string | null>;
}

function nftListing(
  netns: string | null,
  withJson: boolean,
  tables: string[] | undefined,
): Promise<NftListing | { text: string; json: null }> {
  if (tables) {
    const names = tables.map((key) => ({
      family: key.slice(0, key.indexOf(' ')),
      name: key.slice(key.indexOf(' ') + 1),
    }));
    return withJson
      ? listNftTableSet(netns, names)
      : listNftTableSetText(netns, names).then((text) => ({ text, json: null }));
  }
  return withJson ? listNftRuleset(netns) : listNftText(netns).then((text) => ({ text, json: null }));
}

/** Records every backend present in the namespace: nft (text with counters, and JSON), iptables-nft, legacy, firewalld. */
export async function takeSnapshot(netns: string | null, options: SnapshotOptions = {}): Promise<TakenSnapshot> {
  const withJson = options.json ?? true;
  // Awaited below once the listing is in; should the listing fail first, its failure is the one reported.
  const early = options.early ?? [];
  for (const e of early) e.text.catch(() => undefined);
  // The generation read before and after the listing: equal, it is the listing's (nothing committed meanwhile).
  const genBefore = options.floor ?? (options.generation === false ? null : await nftGeneration(netns));
  const [nft, legacyNames] = await Promise.all([nftListing(netns, withJson, options.tables), legacyTableNames(netns)]);
  // The reading after the listing starts as soon as the listing is in, while the model is built. Where
  // iptables-nft saves or firewalld's state are read too (below), it is read again after them.
  const genAfterRead = genBefore ? nftGeneration(netns) : Promise.resolve(null);
  genAfterRead.catch(() => undefined);
  const model = nft.json === null ? textModel(nft.text) : buildModel(nft.json, nft.text);
  const earlyIndex = (variant: EarlySave['variant'], family: 'v4' | 'v6'): number =>
    early.findIndex((e) => e.variant === variant && e.family === family);
  const isEarly = (variant: EarlySave['variant'], family: 'v4' | 'v6'): boolean => earlyIndex(variant, family) >= 0;
  const nftFamilies = iptablesNftFamilies(model);
  // firewall-cmd is asked only when firewalld's table (or chains) are in this namespace: no cost otherwise.
  const [nftSaves, legacySaves, firewalld, earlyTexts] = await Promise.all([
    saveIptablesNft(netns, {
      v4: nftFamilies.v4 && !isEarly('nft', 'v4'),
      v6: nftFamilies.v6 && !isEarly('nft', 'v6'),
    }),
    saveLegacy(netns, {
      v4: isEarly('legacy', 'v4') ? [] : legacyNames.v4,
      v6: isEarly('legacy', 'v6') ? [] : legacyNames.v6,
    }),
    captureFirewalld(netns, { tablePresent: hasFirewalldMarks(model) }),
    Promise.all(early.map((e) => e.text)),
  ]);
  const earlyText = (variant: EarlySave['variant'], family: 'v4' | 'v6'): string | null =>
    earlyTexts[earlyIndex(variant, family)] ?? null;
  const readAfterSaves =
    nftFamilies.v4 || nftFamilies.v6 || early.some((e) => e.variant === 'nft') || firewalld !== null;
  const genAfter = genBefore && readAfterSaves ? await nftGeneration(netns) : await genAfterRead;
  // The early save stands in for the one this snapshot would have made, and only where it would have made one.
  const pick = (
    saved: { v4: string | null; v6: string | null },
    variant: EarlySave['variant'],
    present: { v4: boolean; v6: boolean },
  ): { v4: string | null; v6: string | null } => ({
    v4: isEarly(variant, 'v4') ? (present.v4 ? earlyText(variant, 'v4') : null) : saved.v4,
    v6: isEarly(variant, 'v6') ? (present.v6 ? earlyText(variant, 'v6') : null) : saved.v6,
  });
  const iptablesNft = pick(nftSaves, 'nft', nftFamilies);
  const iptablesLegacy = pick(legacySaves, 'legacy', {
    v4: legacyNames.v4.length > 0,
    v6: legacyNames.v6.length > 0,
  });
  const snapshot: SnapshotT = {
    schema: SNAPSHOT_SCHEMA,
    takenAt: new Date().toISOString(),
    netns,
    hash: contentHash({ nftText: nft.text, legacyV4: iptablesLegacy.v4, legacyV6: iptablesLegacy.v6 }),
    nft,
    iptablesNft,
    iptablesLegacy,
    firewalld,
    summary: {
      nftTables: model.tables.length,
      nftRules: ruleCount(model),
      iptablesNft: iptablesNft.v4 !== null || iptablesNft.v6 !== null,
      iptablesLegacy: legacyNames.v4.length + legacyNames.v6.length > 0,
      firewalld: firewalld !== null,
    },
    ...(genBefore && sameGeneration(genBefore, genAfter) ? { generation: genBefore } : {}),
    ...(options.tables && !options.complete ? { listedTables: [...options.tables] } : {}),
  };
  return { snapshot, model };
}
