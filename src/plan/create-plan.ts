import { flowReplay, mergeWithFlows, replayNet } from '../flows/replay.js';
import { existsSync, statSync } from 'node:fs';
import { currentWhere, type WhereT } from '../host/identity.js';
import { resolve } from 'node:path';
import { readProposal } from './proposal-file.js';
import { computeInScratch, type ScratchResult } from './scratch.js';
import { proposalScope, type ProposalScope } from './proposal-scope.js';
import { hasHandleReferences } from './handles.js';
import { splitTables } from '../ruleset/text.js';
import { readBaseFile } from './base-file.js';
import { planInUserns } from './plan-in-userns.js';
import { diffModels, touchedKeys, blockOf } from './diff.js';
import { countersAtRisk } from './counters.js';
import { runAnalysers } from './findings/index.js';
import { parseSshConnection } from './findings/context.js';
import { buildRollback } from './rollback.js';
import { sshListenPorts } from './ssh-ports.js';
import { liveInterfaces } from './live-interfaces.js';
import {
  checkAdminAddresses,
  hasGlobalIpv6,
  interfaceOf,
  probesFailed,
  parseProbeSpec,
  adminMode,
  probeAdmins,
  runProbes,
} from '../probes/index.js';
import { iptablesSavesText, loadLiveBase } from '../probes/load-live.js';
import { USES_IPSET, loadIpsets, saveIpsets } from '../backends/ipset.js';
import { PLAN_VERSION, Plan, type PlanT, type TouchedTableT } from './schema.js';
import { takeSnapshot } from '../snapshot/take.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { contentHash, scopedHash, sha256 } from '../snapshot/hash.js';
import { hasSlowFullListing, nftTableInventory, nftVersion } from '../backends/nft.js';
import { nftGeneration, type GenerationT } from '../backends/nft-generation.js';
import { listingScope, notListedFinding, type ListingScope } from './listing-scope.js';
import { buildModel, tableKey, type RulesetModel } from '../ruleset/model.js';
import { tableOwner } from '../backends/owners.js';
import type { IpFamily, IptablesVariant } from '../formats/iptables/family.js';
import { isIptablesNftTable } from '../backends/iptables-nft-tables.js';
import { withoutOwnerFlags } from '../backends/owner-flag.js';
import { HistoryStore } from '../history/store.js';
import { ExitCode, FwsafeError, UserError, needsRoot } from '../errors.js';

const isRoot = (): boolean => process.getuid?.() === 0;

export interface PlanOptions {
  netns: string | null;
  proposalPath: string;
  /**
   * The proposal's text, already read (the gate reads a user's file once, or takes a plan's recorded
   * text); `proposalPath` is then only its label in messages and in the plan.
   */
  proposalText?: string;
  /** A second proposal file forming one change with the first: iptables-restore input of the other family (rules.v4 + rules.v6). */
  pairWith?: string | null;
  /** Plan against a stored version or a saved ruleset file instead of the live ruleset. */
  against?: string | null;
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Admin addresses to probe for when there is no SSH_CONNECTION (--admin-address, FWSAFE_ADMIN_ADDRESS). */
  adminAddresses?: string[] | string;
  /** Real-packet probes (default on for a live base): `mustAllow`/`mustDeny` specs like "tcp/443 from 10.0.0.0/8". */
  probes?: { enabled: boolean; mustAllow?: string[]; mustDeny?: string[] };
  /** iptables-restore proposals: the variant (default: the one the host uses), the family, full-table restore. */
  iptables?: { backend?: IptablesVariant | null; family?: IpFamily | null; replaceTables?: boolean };
  /** Replay the host's own flows (conntrack classes, listeners, a flows file) through the proposal; live base only. */
  flows?: { enabled: boolean; file?: string | null };
}

interface Base {
  source: PlanT['base']['source'];
  ref: string | null;
  text: string;
  hash: string | null;
  live: RulesetModel | null;
  iptablesNft: { v4: string | null; v6: string | null };
  legacy: boolean;
  /** The live snapshot the plan was made against (apply keeps it as the base version). */
  snapshot: SnapshotT | null;
  /** Where an export was taken: the plan is for that namespace, wherever it is computed. */
  exportedFrom?: { netns: string | null; where?: WhereT };
}

/** The base of a plan; with a listing scope only those live tables are listed and hashed. */
async function loadBase(options: PlanOptions, listing?: ListingScope & { floor: GenerationT | null }): Promise<Base> {
  const against = options.against ?? null;
  if (against === null) {
    const { snapshot, model } = await takeSnapshot(
      options.netns,
      listing
        ? { tables: listing.listed, complete: listing.complete, ...(listing.floor ? { floor: listing.floor } : {}) }
        : {},
    );
    return {
      source: 'live',
      ref: null,
      text: snapshot.nft.text,
      hash: scopedHash(snapshot, listing?.hashed),
      live: model,
      iptablesNft: snapshot.iptablesNft,
      legacy: snapshot.summary.iptablesLegacy,
      snapshot,
    };
  }
  if (existsSync(against)) {
    if (statSync(against).isDirectory())
      throw new UserError(
        `--against ${against} is a directory; pass a saved ruleset file (nft list ruleset > FILE) or a version id.`,
        { code: 'AGAINST_NOT_A_FILE' },
      );
    const file = readBaseFile(against);
    if (file.kind === 'nft')
      return {
        source: 'file',
        ref: resolve(against),
        text: file.text,
        hash: null,
        live: null,
        iptablesNft: { v4: null, v6: null },
        legacy: false,
        snapshot: null,
      };
    if (file.kind !== 'export')
      throw new Error('unreachable: iptables-save bases are read only for iptables proposals');
    const doc = file.doc;
    return {
      source: 'file',
      ref: resolve(against),
      text: doc.nft,
      hash: doc.hash,
      live: null,
      iptablesNft: doc.iptablesNft,
      legacy: doc.summary.iptablesLegacy,
      snapshot: null,
      exportedFrom: { netns: doc.netns, ...(doc.where ? { where: doc.where } : {}) },
    };
  }
  if (/[/.]/.test(against)) {
    throw new UserError(`--against ${against}: no such file (and it is not a version id).`, {
      code: 'AGAINST_NOT_FOUND',
      actions: [
        'Pass a saved ruleset file (nft -a list ruleset > FILE) or a version from fwsafe log (a number, latest, -N).',
      ],
    });
  }
  if (!isRoot()) {
    throw new FwsafeError(
      `Stored versions live in the root-only state directory, so --against ${against} needs root. Without root, plan against a saved ruleset file instead.`,
      {
        code: 'NEEDS_ROOT',
        exitCode: ExitCode.needsRoot,
        actions: [
          'As root on the host: fwsafe export --out base.json, then: fwsafe plan FILE --against base.json',
          'Or run it again with sudo.',
        ],
      },
    );
  }
  const store = new HistoryStore(options.stateDir);
  const id = store.resolve(against);
  const snapshot = store.snapshot(id);
  return {
    source: 'version',
    ref: String(id),
    text: snapshot.nft.text,
    hash: snapshot.hash,
    live: snapshot.nft.json === null ? null : buildModel(snapshot.nft.json, snapshot.nft.text),
    iptablesNft: snapshot.iptablesNft,
    legacy: snapshot.summary.iptablesLegacy,
    snapshot: null,
  };
}

/** The live base as the kernel has it (iptables rules restored natively, the ipsets they use first), for the probes; nft text otherwise. */
function liveLoader(
  base: Base,
  netns: string | null,
): { load: (ns: string) => Promise<string[]>; text: string } | undefined {
  const { snapshot, live } = base;
  if (!snapshot || !live) return undefined;
  const text = iptablesSavesText(snapshot);
  return {
    load: async (ns) => {
      const note = USES_IPSET.test(text) ? await loadIpsets(ns, await saveIpsets(netns)) : null;
      return [...(note ? [note] : []), ...(await loadLiveBase(ns, snapshot, live))];
    },
    text,
  };
}

/** As root with a model of the base (live or a stored version), the scratch holds only the proposal's tables. */
const scopedScratch = (base: Base): boolean => base.live !== null && isRoot();

/**
 * The live tables a plan lists. Every table is found (chains, sets, maps, flowtables: 20–50 ms in one
 * nft process) so that a host whose tables are all named (a one-table host) gets a whole snapshot: the base
 * version then needs no second listing. Where nft lists the ruleset whole (≥ 1.1.1), empty tables count
 * too, which these dumps do not see: the snapshot is marked partial there.
 */
async function planListing(
  netns: string | null,
  scope: Extract<ProposalScope, { kind: 'tables' }>,
  probing: boolean,
): Promise<ListingScope & { floor: GenerationT | null }> {
  // The generation read now, before the listing starts, is its floor (src/snapshot/take.ts).
  const [inventory, version, floor] = await Promise.all([nftTableInventory(netns), nftVersion(), nftGeneration(netns)]);
  const listing = listingScope(scope, inventory, probing);
  return { ...listing, complete: listing.complete && hasSlowFullListing(version), floor };
}

/** What the findings read of the host besides its rules: sshd's listening ports, the interfaces, global IPv6. */
function hostFacts(netns: string | null): Promise<[number[], string[] | null, boolean]> {
  return Promise.all([sshListenPorts(netns), liveInterfaces(netns), hasGlobalIpv6(netns)]);
}

/** The proposal names one table: a scoped scratch namespace then holds at most that one. */
const namesOneTable = (scope: ProposalScope): boolean =>
  scope.kind === 'tables' && new Set([...scope.needed, ...scope.replaced]).size <= 1;

/** True when the scratch namespace needs nothing of the live ruleset to compute the proposal. */
function independentOfBase(scope: ProposalScope, proposalText: string): boolean {
  return (
    scope.kind === 'tables' &&
    scope.needed.length === 0 &&
    scope.mustExist.length === 0 &&
    !hasHandleReferences(proposalText)
  );
}

/**
 * The scratch computation for a base: with a model of the base (live or a stored version, as root),
 * only the tables the proposal depends on are loaded and the result alone is listed; otherwise (a
 * saved file, or no root) the whole base is loaded and listed before and after.
 */
function scratchFor(base: Base, scope: ProposalScope, path: string, proposalText: string): Promise<ScratchResult> {
  // Owned tables load as ordinary ones here (the TABLE_OWNER_FLAG finding says why the change cannot go live).
  base = { ...base, text: withoutOwnerFlags(base.text) };
  if (scopedScratch(base)) {
    const loadText = scope.kind === 'all' ? base.text : scopedLoadText(base.text, scope);
    return computeInScratch({
      baseText: base.text,
      loadText,
      listBefore: false,
      proposalPath: path,
      proposalText,
      oneTable: namesOneTable(scope),
    });
  }
  return computeInScratch({ baseText: base.text, proposalPath: path, proposalText });
}

/** Base tables the proposal builds on, and empty stand-ins for those it deletes first (so the delete means what it means live). */
function scopedLoadText(baseText: string, scope: Extract<ProposalScope, { kind: 'tables' }>): string {
  const tables = splitTables(baseText);
  const needed = new Set(scope.needed);
  const present = new Set(tables.map((t) => tableKey(t.family, t.name)));
  const parts = tables.filter((t) => needed.has(tableKey(t.family, t.name))).map((t) => `${t.raw}\n`);
  for (const key of scope.mustExist) {
    if (!present.has(key)) continue;
    const [family, name] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
    parts.push(`table ${family} ${name} {\n}\n`);
  }
  return parts.join('');
}

/**
 * Before and after models of the whole ruleset, and the touched tables. With a scoped scratch, tables
 * outside the scope are the base's own, unchanged; tables inside it come from the scratch listing.
 */
function effectOf(
  base: Base,
  scope: ProposalScope,
  scratch: ScratchResult,
): { before: RulesetModel; after: RulesetModel; touched: string[] } {
  const scratchAfter = buildModel(scratch.after.json, scratch.after.text);
  if (scopedScratch(base) && base.live) {
    const before = base.live;
    const loaded = scope.kind === 'all' ? before.tables.map((t) => t.key) : [...scope.needed, ...scope.replaced];
    const inScope = new Set([
      ...loaded.filter((k) => !scratch.notReproduced.includes(k)),
      ...scratchAfter.tables.map((t) => t.key),
    ]);
    const after: RulesetModel = {
      tables: [...before.tables.filter((t) => !inScope.has(t.key)), ...scratchAfter.tables],
    };
    return { before, after, touched: touchedKeys(before, after, inScope) };
  }
  const before = buildModel(scratch.before!.json, scratch.before!.text);
  return { before, after: scratchAfter, touched: touchedKeys(before, scratchAfter) };
}

/**
 * Plans a proposal: the kernel computes its effect in a scratch namespace; the plan holds the diff,
 * the live counters at risk, the findings and the rollback of exactly the tables it touches.
 */
export async function createPlan(options: PlanOptions): Promise<PlanT> {
  return (await createPlanWithBase(options)).plan;
}

/**
 * createPlan, and the live snapshot it was made against (null for --against): the proposal is read,
 * its format recognised from the content (src/formats/), validated and planned by that format.
 */
export async function createPlanWithBase(
  options: PlanOptions,
): Promise<{ plan: PlanT; baseSnapshot: SnapshotT | null }> {
  const adminAddresses = checkAdminAddresses(options.adminAddresses ?? []);
  // Without root, a saved base is planned by the same code as root's, inside a private user namespace.
  if (!isRoot() && options.against && existsSync(options.against))
    return { plan: await planInUserns({ ...options, adminAddresses }), baseSnapshot: null };
  const { recogniseProposal, readProposalPair } = await import('../formats/registry.js');
  const pair = options.pairWith ? readProposalPair([options.proposalPath, options.pairWith]) : null;
  const proposalText = pair?.text ?? options.proposalText ?? readProposal(options.proposalPath);
  // The label: the user's file(s), resolved; or the gate's (a plan file's recorded path, `version:N`) as given.
  const label =
    pair?.label ?? (options.proposalText === undefined ? resolve(options.proposalPath) : options.proposalPath);
  const { format, recognition } = recogniseProposal(proposalText, options.proposalPath);
  format.validate(proposalText, options.proposalPath);
  return format.plan({ ...options, proposalPath: label, adminAddresses, proposalText, recognition });
}

/** The nft format's plan (src/formats/nft/): the proposal is read, labelled and validated already. */
export async function planNft(
  options: PlanOptions & { proposalText: string },
): Promise<{ plan: PlanT; baseSnapshot: SnapshotT | null }> {
  const { proposalText } = options;
  const label = options.proposalPath;
  const adminAddresses = checkAdminAddresses(options.adminAddresses ?? []);
  if (!isRoot() && !options.against) {
    const error = needsRoot('Planning against the live ruleset (a snapshot and a scratch network namespace)');
    error.actions.push(
      'Without root, plan against an export of the host: fwsafe plan FILE --against base.json (made on the host with fwsafe export; uses an unprivileged user namespace).',
    );
    throw error;
  }
  const scope = proposalScope(proposalText);
  // A proposal that depends on no live table (it only replaces or adds whole tables) is computed in
  // the scratch namespace while the live ruleset is being listed.
  const early =
    isRoot() && !options.against && independentOfBase(scope, proposalText)
      ? computeInScratch({
          baseText: '',
          loadText: '',
          listBefore: false,
          proposalPath: label,
          proposalText,
          oneTable: namesOneTable(scope),
        })
      : null;
  early?.catch(() => undefined);
  // Probes need only root (or root of a private user namespace): they run against a saved base too.
  const probing = (options.probes?.enabled ?? true) && isRoot();
  // sshd's ports, the interfaces and global IPv6 (read by the findings) do not depend on the base: a live
  // plan asks for them while the ruleset is listed, not after.
  const facts = options.against ? null : hostFacts(options.netns);
  facts?.catch(() => undefined);
  // Live, as root, with tables named: only those are listed (and, for the probes, every hooked table).
  let listing: (ListingScope & { floor: GenerationT | null }) | undefined;
  let base: Base;
  try {
    if (isRoot() && !options.against && scope.kind === 'tables')
      listing = await planListing(options.netns, scope, probing);
    base = await loadBase(options, listing);
  } catch (error) {
    await early?.catch(() => undefined);
    throw error;
  }
  const env = options.env ?? process.env;
  const ssh = base.source === 'live' ? parseSshConnection(env.SSH_CONNECTION) : null;
  const [sshPorts, interfaces, globalV6] =
    base.source === 'live' ? await (facts ?? hostFacts(options.netns)) : [[22], null, false];
  const ipv6InUse = globalV6 || Boolean(ssh?.client.includes(':')) || adminAddresses.some((a) => a.includes(':'));
  // Without a session or given addresses: every address the ruleset or the proposal names, and the stand-ins
  // (read only for the probes: a walk of both texts, ~0.3 s at 50k rules).
  const admins = probing ? probeAdmins(ssh, adminAddresses, `${base.text}\n${proposalText}`, ipv6InUse) : null;
  const declaredAllow = (options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s));
  // The host's flows, replayed as flows that must stay allowed; their results become FLOW_* findings.
  const replay = await flowReplay(
    probing && base.source === 'live' && (options.flows?.enabled ?? false),
    options.netns,
    options.flows?.file ?? null,
  );
  let probeError: string | null = null;
  // Outbound, forwarded, ICMP, PMTU and ND flows: their own scratch network, beside the probes.
  const netReplay = replayNet(replay, options.netns, ssh?.server ?? null, {
    baseText: withoutOwnerFlags(base.text),
    proposalText,
    format: liveLoader(base, options.netns),
  });
  const mustAllow = [...declaredAllow, ...(replay?.probes.map((p) => p.spec) ?? [])];
  const mustDeny = (options.probes?.mustDeny ?? []).map((s) => parseProbeSpec(s));
  // The scratch computation and the probes use namespaces of their own: run them side by side.
  const [computed, probeResults, netResults] = await Promise.all([
    early ?? scratchFor(base, scope, label, proposalText),
    probing
      ? interfaceOf(options.netns, ssh?.server ?? null).then((ifname) =>
          runProbes({
            baseText: withoutOwnerFlags(base.text),
            proposalPath: label,
            proposalText,
            ssh,
            ...(admins ? { admins } : {}),
            sshPorts,
            ifname,
            mustAllow,
            mustDeny,
            format: liveLoader(base, options.netns),
            ...(base.source === 'live' ? { liveNetns: options.netns } : {}),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
    netReplay,
  ]);
  const { before, after, touched } = effectOf(base, scope, computed);
  const touchedTables: TouchedTableT[] = touched.map((key) => {
    const b = before.tables.find((t) => t.key === key);
    const a = after.tables.find((t) => t.key === key);
    const live = base.live?.tables.find((t) => t.key === key) ?? b;
    const [family, name] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
    return {
      family,
      name,
      existedBefore: b !== undefined,
      existsAfter: a !== undefined,
      owner: live ? tableOwner(live) : null,
      iptablesNft: live ? isIptablesNftTable(live) : false,
    };
  });
  const analysis = runAnalysers({
    base: before,
    result: after,
    touched,
    proposalText,
    sshPorts,
    ssh,
    legacyRulesPresent: base.legacy,
    notReproduced: computed.notReproduced,
    liveInterfaces: interfaces,
    adminAddresses,
    ipv6InUse,
  });
  const findings = mergeWithFlows(
    analysis,
    probeResults,
    replay,
    { mode: admins?.mode ?? adminMode(ssh, adminAddresses), ipv6InUse, own: touched },
    netResults,
  );
  const unlisted = listing && !probing ? notListedFinding(listing, computed.after.text) : null;
  if (unlisted) {
    findings.push(unlisted);
    const rank = { error: 0, warning: 1, info: 2 } as const;
    findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
  }
  if (!probeResults && probeError) {
    findings.push(probesFailed(probeError));
  }
  const plan: PlanT = {
    version: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    netns: base.exportedFrom ? base.exportedFrom.netns : options.netns,
    // Where it applies: here for a plan of the live ruleset, where the export was taken for one made
    // against an export; a plan against a stored version or a plain ruleset file names no place.
    ...(base.source === 'live'
      ? { where: currentWhere(options.netns) }
      : base.exportedFrom?.where
        ? { where: base.exportedFrom.where }
        : {}),
    base: {
      hash: base.hash ?? contentHash({ nftText: computed.before?.text ?? base.text }),
      source: base.source,
      ref: base.ref,
      ...(listing
        ? { tables: listing.hashed, listed: listing.listed, ...(probing ? {} : { notListed: listing.notListed }) }
        : {}),
    },
    proposal: { path: label, sha256: sha256(proposalText), text: proposalText },
    result: {
      hash: contentHash({ nftText: after.tables.map((t) => t.text).join('\n') }),
      touchedText: touched.map((k) => blockOf(after.tables.find((t) => t.key === k))).join(''),
    },
    touchedTables,
    diff: diffModels(before, after, touched, {
      from: base.source === 'live' ? 'live' : base.source === 'version' ? `version ${base.ref}` : (base.ref ?? 'file'),
      to: 'proposed',
    }),
    counters: countersAtRisk(base.live ?? before, before, after, touched),
    findings,
    rollback: buildRollback(base.text, touchedTables, base.iptablesNft),
  };
  return { plan: Plan.parse(plan), baseSnapshot: base.snapshot };
}

/** `plan --detailed-exitcode`: 0 no change, 2 changes with nothing blocking, 5 a blocking finding. */
export function planExitCode(plan: PlanT): number {
  if (plan.findings.some((f) => f.severity === 'error')) return ExitCode.blocked;
  return plan.touchedTables.length > 0 ? ExitCode.changes : ExitCode.ok;
}

export { checkPlanOutPath, loadPlanFile, writePlanFile } from './plan-file.js';
