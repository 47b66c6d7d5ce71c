import { listNftRuleset, listNftText } from '../backends/nft.js';
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
   * A save the caller started before calling (an iptables change knows its variant and family): it runs
   * beside nft's listing instead of after it, and is kept only where the listing (or /proc) shows that
   * variant's tables for the family, exactly as the snapshot's own save would be.
   */
  early?: EarlySave | null;
}

export interface EarlySave {
  variant: 'nft' | 'legacy';
  family: 'v4' | 'v6';
  /** saveVariant(netns, variant, family), already started. */
  text: Promise<string | null>;
}

/** Records every backend present in the namespace: nft (text with counters, and JSON), iptables-nft, legacy, firewalld. */
export async function takeSnapshot(netns: string | null, options: SnapshotOptions = {}): Promise<TakenSnapshot> {
  const withJson = options.json ?? true;
  // Awaited below once the listing is in; should the listing fail first, its failure is the one reported.
  options.early?.text.catch(() => undefined);
  const [nft, legacyNames] = await Promise.all([
    withJson ? listNftRuleset(netns) : listNftText(netns).then((text) => ({ text, json: null })),
    legacyTableNames(netns),
  ]);
  const model = nft.json === null ? textModel(nft.text) : buildModel(nft.json, nft.text);
  const early = options.early ?? null;
  const isEarly = (variant: EarlySave['variant'], family: 'v4' | 'v6'): boolean =>
    early !== null && early.variant === variant && early.family === family;
  const nftFamilies = iptablesNftFamilies(model);
  // firewall-cmd is asked only when firewalld's table (or chains) are in this namespace: no cost otherwise.
  const [nftSaves, legacySaves, firewalld, earlyText] = await Promise.all([
    saveIptablesNft(netns, {
      v4: nftFamilies.v4 && !isEarly('nft', 'v4'),
      v6: nftFamilies.v6 && !isEarly('nft', 'v6'),
    }),
    saveLegacy(netns, {
      v4: isEarly('legacy', 'v4') ? [] : legacyNames.v4,
      v6: isEarly('legacy', 'v6') ? [] : legacyNames.v6,
    }),
    captureFirewalld(netns, { tablePresent: hasFirewalldMarks(model) }),
    early?.text ?? null,
  ]);
  // The early save stands in for the one this snapshot would have made, and only where it would have made one.
  const pick = (
    saved: { v4: string | null; v6: string | null },
    variant: EarlySave['variant'],
    present: { v4: boolean; v6: boolean },
  ): { v4: string | null; v6: string | null } => ({
    v4: isEarly(variant, 'v4') ? (present.v4 ? earlyText : null) : saved.v4,
    v6: isEarly(variant, 'v6') ? (present.v6 ? earlyText : null) : saved.v6,
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
  };
  return { snapshot, model };
}
