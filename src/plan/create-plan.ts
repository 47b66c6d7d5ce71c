import { collectInventory } from '../flows/inventory.js';
import { flowProbes } from '../flows/probe-specs.js';
import { flowFindings } from '../flows/replay.js';
import { replayNetFlows } from '../flows/net-replay.js';
import { liveInterfaces as interfacesOfAddresses } from '../flows/live-ifaces.js';
import { hostAddressOf, peersOf } from '../flows/net-spec.js';
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
  mergeProbeFindings,
  probesFailed,
  parseProbeSpec,
  probeAdmins,
  runProbes,
} from '../probes/index.js';
import { loadLiveBase } from '../probes/load-live.js';
import { PLAN_VERSION, Plan, type PlanT, type TouchedTableT } from './schema.js';
import { takeSnapshot } from '../snapshot/take.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { contentHash, sha256 } from '../snapshot/hash.js';
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

async function loadBase(options: PlanOptions): Promise<Base> {
  const against = options.against ?? null;
  if (against === null) {
    const { snapshot, model } = await takeSnapshot(options.netns);
    return {
      source: 'live',
      ref: null,
      text: snapshot.nft.text,
      hash: snapshot.hash,
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

/** The live base as the kernel has it (iptables rules restored natively), for the probes; nft text otherwise. */
function liveLoader(base: Base): { load: (ns: string) => Promise<string[]> } | undefined {
  const { snapshot, live } = base;
  return snapshot && live ? { load: (ns) => loadLiveBase(ns, snapshot, live) } : undefined;
}

/** As root with a model of the base (live or a stored version), the scratch holds only the proposal's tables. */
const scopedScratch = (base: Base): boolean => base.live !== null && isRoot();

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
    return computeInScratch({ baseText: base.text, loadText, listBefore: false, proposalPath: path, proposalText });
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
  const proposalText = options.proposalText ?? readProposal(options.proposalPath);
  // The label: the user's file, resolved; or the gate's (a plan file's recorded path, `version:N`) as given.
  const label = options.proposalText === undefined ? resolve(options.proposalPath) : options.proposalPath;
  const { recogniseProposal } = await import('../formats/registry.js');
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
      ? computeInScratch({ baseText: '', loadText: '', listBefore: false, proposalPath: label, proposalText })
      : null;
  early?.catch(() => undefined);
  let base: Base;
  try {
    base = await loadBase(options);
  } catch (error) {
    await early?.catch(() => undefined);
    throw error;
  }
  const env = options.env ?? process.env;
  const ssh = base.source === 'live' ? parseSshConnection(env.SSH_CONNECTION) : null;
  const [sshPorts, interfaces, globalV6] =
    base.source === 'live'
      ? await Promise.all([sshListenPorts(options.netns), liveInterfaces(options.netns), hasGlobalIpv6(options.netns)])
      : [[22], null, false];
  const ipv6InUse = globalV6 || Boolean(ssh?.client.includes(':')) || adminAddresses.some((a) => a.includes(':'));
  // Probes need only root (or root of a private user namespace): they run against a saved base too.
  const probing = (options.probes?.enabled ?? true) && isRoot();
  // Without a session or given addresses: every address the ruleset or the proposal names, and the stand-ins.
  const admins = probeAdmins(ssh, adminAddresses, `${base.text}\n${proposalText}`, ipv6InUse);
  const declaredAllow = (options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s));
  // The host's flows, replayed as flows that must stay allowed; their results become FLOW_* findings.
  let probeError: string | null = null;
  let netError: string | null = null;
  const inventory =
    probing && base.source === 'live' && options.flows?.enabled
      ? await collectInventory({ netns: options.netns, flowsFile: options.flows.file ?? null })
      : null;
  const replay = inventory ? flowProbes(inventory) : null;
  // Outbound, forwarded, ICMP, PMTU and ND flows: their own scratch network, beside the probes.
  const netReplay =
    inventory && replay && replay.net.length > 0
      ? interfacesOfAddresses(
          options.netns,
          replay.net.flatMap((p) => [...peersOf(p.net), hostAddressOf(p.net)].filter((a): a is string => a !== null)),
          (await interfaceOf(options.netns, ssh?.server ?? null)) ?? 'eth0',
        )
          .then((ifaces) =>
            replayNetFlows({
              baseText: withoutOwnerFlags(base.text),
              proposalText,
              format: liveLoader(base),
              probes: replay.net.map((p) => ({ tag: p.tag, spec: p.net })),
              routeOf: (a) => ifaces.get(a) ?? { iface: 'eth0', via: null },
              forwarding: inventory.forwarding,
            }),
          )
          .catch((error: unknown) => {
            netError = error instanceof Error ? error.message : String(error);
            return null;
          })
      : Promise.resolve(null);
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
            admins,
            sshPorts,
            ifname,
            mustAllow,
            mustDeny,
            format: liveLoader(base),
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
  const replayed =
    replay && probeResults
      ? flowFindings(
          [...replay.probes, ...replay.net],
          // A failed network replay leaves its flows not probed, never passing.
          netResults
            ? replay.unprobed
            : [
                ...replay.unprobed,
                ...replay.net.map((p) => ({ label: p.label, why: `the replay failed: ${netError}` })),
              ],
          [...probeResults, ...(netResults ?? [])],
        )
      : null;
  const findings = probeResults
    ? mergeProbeFindings(analysis, replayed?.rest ?? probeResults, { mode: admins.mode, ipv6InUse, own: touched })
    : analysis;
  if (replayed) {
    const rank = { error: 0, warning: 1, info: 2 } as const;
    findings.push(...replayed.findings);
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
