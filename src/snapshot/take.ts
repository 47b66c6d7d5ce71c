import { listNftRuleset } from '../backends/nft.js';
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

/** Records every backend present in the namespace: nft (text + JSON, counters), iptables-nft, legacy, firewalld. */
export async function takeSnapshot(netns: string | null): Promise<TakenSnapshot> {
  const [nft, legacyNames] = await Promise.all([listNftRuleset(netns), legacyTableNames(netns)]);
  const model = buildModel(nft.json, nft.text);
  // firewall-cmd is asked only when firewalld's table (or chains) are in this namespace: no cost otherwise.
  const [iptablesNft, iptablesLegacy, firewalld] = await Promise.all([
    saveIptablesNft(netns, iptablesNftFamilies(model)),
    saveLegacy(netns, legacyNames),
    captureFirewalld(netns, { tablePresent: hasFirewalldMarks(model) }),
  ]);
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
