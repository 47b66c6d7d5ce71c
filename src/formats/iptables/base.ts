import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HistoryStore } from '../../history/store.js';
import { UserError } from '../../errors.js';
import { readBaseFile } from '../../plan/base-file.js';
import { currentWhere, type WhereT } from '../../host/identity.js';
import { sha256 } from '../../snapshot/hash.js';
import { takeSnapshot, type EarlySave } from '../../snapshot/take.js';
import type { SnapshotT } from '../../snapshot/schema.js';
import { iptablesSavesText, loadBaseRules, loadLiveBase, xtTablesOfSaves } from '../../probes/load-live.js';
import { USES_IPSET, loadIpsets, saveIpsets } from '../../backends/ipset.js';
import type { IpFamily, IptablesVariant } from './family.js';
import { chooseVariant, variantOf, type VariantChoice } from './variant.js';

type Saves = { v4: string | null; v6: string | null };

/** What an iptables change is planned against: the live rules, or a saved base (plan --against FILE). */
export interface IptablesBase {
  source: 'live' | 'file' | 'version';
  ref: string | null;
  hash: string;
  nftText: string;
  iptablesNft: Saves;
  iptablesLegacy: Saves;
  /** The live snapshot (apply keeps it as the base version); null for a saved base. */
  snapshot: SnapshotT | null;
  /** The namespace the plan is for, and where it applies (an export names both; a bare save neither). */
  netns: string | null;
  where: WhereT | undefined;
  variant(family: IpFamily, override: IptablesVariant | null): Promise<VariantChoice>;
  /** The live ipsets (`ipset save`) when a rule uses one: loaded before the rules in scratch and probe namespaces. */
  ipsets: string | null;
  /** Loads the base into a probe namespace as the kernel has it; returns notes on what did not load. */
  load(ns: string): Promise<string[]>;
}

/** What a plan of the live rules already started: the saves takeSnapshot keeps (its `early`), the ipsets. */
export interface LiveStarted {
  early?: EarlySave[];
  /** `ipset save` of the namespace, shared with whoever needed it first (saved once). */
  ipsets?: () => Promise<string | null>;
}

const legacyTables = (save: string | null): string[] => [...(save ?? '').matchAll(/^\*(\w+)\s*$/gm)].map((m) => m[1]!);

/**
 * The base of an iptables plan. Live: a snapshot of the namespace (keeping the saves the plan started
 * early, `started.early`, so its scratch namespaces hold what the snapshot holds). `--against FILE`: an export of the
 * host (`fwsafe export`: every variant and family, its hash checked again by apply), or what
 * `iptables-save` printed there (that one family, in the variant `--backend` names, else iptables-nft), or a
 * stored version (`--against 7`, as root).
 */
export async function iptablesBase(
  against: string | null | undefined,
  netns: string | null,
  families: IpFamily[],
  backend: IptablesVariant | null,
  stateDir?: string,
  /** The proposal uses an ipset: the live sets are needed even when no live rule uses one. */
  proposalUsesIpset = false,
  started: LiveStarted = {},
): Promise<IptablesBase> {
  if (!against) {
    const { snapshot, model } = await takeSnapshot(netns, { json: false, early: started.early ?? null });
    const saves = iptablesSavesText(snapshot);
    const ipsets =
      proposalUsesIpset || USES_IPSET.test(saves) ? await (started.ipsets ?? (() => saveIpsets(netns)))() : null;
    return {
      source: 'live',
      ref: null,
      hash: snapshot.hash,
      nftText: snapshot.nft.text,
      iptablesNft: snapshot.iptablesNft,
      iptablesLegacy: snapshot.iptablesLegacy,
      snapshot,
      netns,
      // A plan of the live rules: applied only here (unless --from-elsewhere), as nft plans.
      where: currentWhere(netns),
      variant: (family, override) => chooseVariant(netns, family, override),
      ipsets,
      load: async (ns) => {
        const note = await loadIpsets(ns, ipsets);
        return [...(note ? [note] : []), ...(await loadLiveBase(ns, snapshot, model))];
      },
    };
  }
  let version: string | null = null;
  const fromFile = (
    saves: { nft: Saves; legacy: Saves },
    nftText: string,
    hash: string,
    exported: { netns: string | null; where: WhereT | undefined } | null,
  ): IptablesBase => ({
    source: version === null ? 'file' : 'version',
    ref: version ?? resolve(against),
    hash,
    nftText,
    iptablesNft: saves.nft,
    iptablesLegacy: saves.legacy,
    snapshot: null,
    netns: exported ? exported.netns : netns,
    where: exported?.where,
    variant: async (family, override) => variantOf(legacyTables(saves.legacy[family]), family, override),
    // A saved base holds no ipsets: a table using one is reported as not reproduced.
    ipsets: null,
    load: (ns) =>
      loadBaseRules(ns, { nftText, iptablesNft: saves.nft, iptablesLegacy: saves.legacy }, xtTablesOfSaves(saves.nft)),
  });
  // A stored version (an id, latest, -N): its snapshot holds every variant and family.
  if (!existsSync(against) && !/[/.]/.test(against)) {
    const store = new HistoryStore(stateDir);
    const id = store.resolve(against);
    const snap = store.snapshot(id);
    version = String(id);
    return fromFile({ nft: snap.iptablesNft, legacy: snap.iptablesLegacy }, snap.nft.text, snap.hash, null);
  }
  const file = readBaseFile(against, { iptablesSave: true });
  if (file.kind === 'export') {
    const { doc } = file;
    return fromFile({ nft: doc.iptablesNft, legacy: doc.iptablesLegacy }, doc.nft, doc.hash, {
      netns: doc.netns,
      where: doc.where,
    });
  }
  if (file.kind === 'nft')
    throw new UserError(
      `The base ${against} is an nft listing: it holds no iptables rules in the form iptables-restore loads. Plan an iptables change against an export or an iptables-save file.`,
      {
        code: 'BASE_NOT_IPTABLES',
        actions: [
          'On the host, as root: fwsafe export --out base.json (every variant and family), or iptables-save > base.v4.',
        ],
      },
    );
  if (families.length !== 1)
    throw new UserError(
      `The base ${against} is one iptables-save output (one family); a v4 + v6 change needs both: plan it against an export.`,
      { code: 'BASE_NOT_IPTABLES', actions: ['On the host, as root: fwsafe export --out base.json'] },
    );
  const family = families[0]!;
  const variant = backend ?? 'nft';
  const saves = { nft: { v4: null, v6: null } as Saves, legacy: { v4: null, v6: null } as Saves };
  saves[variant][family] = file.text;
  return fromFile(saves, '', sha256(file.text), null);
}
