import { resolve } from 'node:path';
import { parseSave } from '../../backends/iptables-save.js';
import { saveVariant } from '../../backends/iptables.js';
import { sha256 } from '../../snapshot/hash.js';
import type { EarlySave } from '../../snapshot/take.js';
import { parseSshConnection } from '../../plan/findings/context.js';
import { sshListenPorts } from '../../plan/ssh-ports.js';
import {
  checkAdminAddresses,
  hasGlobalIpv6,
  interfaceOf,
  parseProbeSpec,
  probeAdmins,
  probesFailed,
  runProbes,
} from '../../probes/index.js';
import { iptablesSavesText } from '../../probes/load-live.js';
import { flowReplay, mergeWithFlows, replayNet } from '../../flows/replay.js';
import { PLAN_VERSION, Plan, type PlanT } from '../../plan/schema.js';
import { needsRoot } from '../../errors.js';
import type { FormatPlanOptions, PlannedChange } from '../types.js';
import { iptablesBase, type IptablesBase } from './base.js';
import { USES_IPSET, saveIpsets } from '../../backends/ipset.js';
import { parseRestore, type RestoreTable } from './parse.js';
import { proposalParts, type ProposalPart } from './pair.js';
import { chooseVariant, type VariantChoice } from './variant.js';
import type { IptablesVariant } from './family.js';
import { applyInput, inputLineMap } from './transaction.js';
import { computeIptablesInScratch, type IptablesScratchResult } from './scratch.js';
import { iptablesProbeHooks } from './probe-hooks.js';
import { mergeDiffs, partPlan } from './plan-part.js';
import { debugLog } from '../../run/debug.js';

/** One family's file of the change, ready for its scratch namespace. */
interface PartSpec {
  part: ProposalPart;
  tables: RestoreTable[];
  input: string;
}

/** An early scratch: the live save it loaded, and what the scratch made of it (or its refusal). */
interface EarlyScratch {
  save: string | null;
  result: IptablesScratchResult | null;
  error: unknown;
}

/**
 * Plans an iptables-restore proposal — one file, or a v4 + v6 pair as one change (src/formats/iptables/pair.ts):
 * for each family the variant the host uses, the live rules and the change computed in a scratch namespace
 * with that variant, a diff per table/chain/rule in iptables syntax, counters at risk, findings; real-packet
 * probes through everything the kernel decides with, the whole change swapped in; and the stored
 * transactions (change and rollback, one per family) naming only the chains that change.
 */
export async function planIptables(options: FormatPlanOptions): Promise<PlannedChange> {
  const { proposalText: text, proposalPath: path } = options;
  if (process.getuid?.() !== 0)
    throw needsRoot('Planning an iptables change (a snapshot and a scratch network namespace)');
  debugLog('iptables plan: start');
  const parts = proposalParts(text, path, options.iptables?.family ?? null);
  const replaceTables = options.iptables?.replaceTables ?? false;
  const specs: PartSpec[] = parts.map((part) => {
    const tables = parseRestore(part.text, part.path, part.family);
    return { part, tables, input: applyInput(tables, replaceTables) };
  });
  const backend = options.iptables?.backend ?? null;
  const proposalUsesIpset = USES_IPSET.test(text);
  const live = !options.against;
  // `ipset save` runs at most once: for a scratch whose save (or the proposal) uses a set, and for the probes.
  let ipsetsSaved: Promise<string | null> | null = null;
  const liveIpsets = (): Promise<string | null> => {
    ipsetsSaved ??= saveIpsets(options.netns);
    return ipsetsSaved;
  };
  const inScratch = (
    spec: PartSpec,
    variant: IptablesVariant,
    liveSave: string | null,
    ipsets: string | null,
  ): Promise<IptablesScratchResult> =>
    computeIptablesInScratch({
      variant,
      family: spec.part.family,
      liveSave,
      tables: spec.tables.map((t) => t.name),
      input: spec.input,
      lineMap: inputLineMap(spec.tables, replaceTables),
      replaceTables,
      proposalPath: spec.part.path,
      proposalLines: spec.part.text.split('\n'),
      ipsets,
    });
  // The live rules: each family's variant is chosen first and its save started at once; the scratch
  // namespace loads it while nft lists the ruleset for the snapshot, which keeps that very save
  // (takeSnapshot's `early`). A saved base (--against) has no live save to start: it is read first.
  const liveChoices: VariantChoice[] | null = live
    ? await Promise.all(parts.map((p) => chooseVariant(options.netns, p.family, backend)))
    : null;
  const early: EarlySave[] = (liveChoices ?? []).map((choice, i) => ({
    variant: choice.variant,
    family: parts[i]!.family,
    text: saveVariant(options.netns, choice.variant, parts[i]!.family),
  }));
  // Each outcome, refusal included, counts only if the snapshot keeps the same save (checked below).
  const earlyScratches: Promise<EarlyScratch>[] = early.map((e, i) =>
    e.text.then((save) =>
      (proposalUsesIpset || USES_IPSET.test(save ?? '') ? liveIpsets() : Promise.resolve(null))
        .then((ipsets) => inScratch(specs[i]!, e.variant, save, ipsets))
        .then(
          (result): EarlyScratch => ({ save, result, error: null }),
          (error: unknown): EarlyScratch => ({ save, result: null, error }),
        ),
    ),
  );
  // Settled below in every case (awaited, or waited for before an error leaves): never an unhandled rejection.
  for (const e of earlyScratches) e.catch(() => undefined);
  let base: IptablesBase;
  let sshPorts: number[];
  try {
    [base, sshPorts] = await Promise.all([
      iptablesBase(
        options.against,
        options.netns,
        parts.map((p) => p.family),
        backend,
        options.stateDir,
        proposalUsesIpset,
        { early, ipsets: liveIpsets },
      ),
      // Against a saved base there is no session or host to read: the stand-ins and SSH on 22, as for nft.
      live ? sshListenPorts(options.netns) : Promise.resolve([22]),
    ]);
  } catch (error) {
    await Promise.allSettled(earlyScratches);
    throw error;
  }
  debugLog(live ? 'iptables plan: snapshot taken' : 'iptables plan: base read');
  const choices = liveChoices ?? (await Promise.all(parts.map((p) => base.variant(p.family, backend))));
  const env = options.env ?? process.env;
  const ssh = live ? parseSshConnection(env.SSH_CONNECTION) : null;
  const probing = options.probes?.enabled ?? true;
  const adminAddresses = checkAdminAddresses(options.adminAddresses ?? []);
  const ipv6InUse =
    parts.some((p) => p.family === 'v6') ||
    Boolean(ssh?.client.includes(':')) ||
    adminAddresses.some((a) => a.includes(':')) ||
    (probing && live && (await hasGlobalIpv6(options.netns)));
  // Whose logins the probes check: the session's client, else --admin-address, else every address that can log in today.
  const admins = probeAdmins(ssh, adminAddresses, `${base.nftText}\n${iptablesSavesText(base)}\n${text}`, ipv6InUse);
  // The host's flows (plan --flows), replayed as flows that must stay allowed.
  const replay = await flowReplay(
    probing && live && (options.flows?.enabled ?? false),
    options.netns,
    options.flows?.file ?? null,
  );
  const changes = specs.map((spec, i) => {
    const { variant, mismatch } = choices[i]!;
    const liveText = (variant === 'nft' ? base.iptablesNft : base.iptablesLegacy)[spec.part.family];
    return { ...spec, variant, mismatch, liveText };
  });
  // The scratch must hold what the snapshot holds: when the snapshot kept another save (the listing showed
  // no table of this variant and family, so it kept none), the change is computed again from the snapshot's.
  const scratchOf = async (c: (typeof changes)[number], i: number): Promise<IptablesScratchResult> => {
    const first = i < earlyScratches.length ? await earlyScratches[i]! : null;
    if (first && first.save === c.liveText) {
      if (first.error !== null) throw first.error;
      if (first.result) return first.result;
    }
    return inScratch(c, c.variant, c.liveText, base.ipsets);
  };
  let probeError: string | null = null;
  const hooks = () =>
    iptablesProbeHooks({
      base,
      swaps: changes.map((c) => ({ variant: c.variant, family: c.part.family, input: c.input })),
      replaceTables,
    });
  // Outbound, forwarded, ICMP, PMTU and ND flows: their own scratch network, beside the probes.
  const netReplay = replayNet(replay, options.netns, ssh?.server ?? null, {
    baseText: base.nftText,
    proposalText: text,
    format: hooks(),
  });
  const [settled, probeResults, netResults] = await Promise.all([
    // Settled, not raced: a refusal is reported once the probes have finished and cleaned up.
    Promise.allSettled(changes.map(scratchOf)),
    probing
      ? (live ? interfaceOf(options.netns, ssh?.server ?? null) : Promise.resolve(null)).then((ifname) =>
          runProbes({
            baseText: base.nftText,
            proposalPath: path,
            proposalText: text,
            ssh,
            admins,
            sshPorts,
            ifname,
            mustAllow: [
              ...(options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s)),
              ...(replay?.probes.map((p) => p.spec) ?? []),
            ],
            mustDeny: (options.probes?.mustDeny ?? []).map((s) => parseProbeSpec(s)),
            ...(live ? { liveNetns: options.netns } : {}),
            format: hooks(),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
    netReplay,
  ]);
  const scratches = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  debugLog('iptables plan: scratch done');
  const planned = changes.map((c, i) =>
    partPlan(
      {
        part: c.part,
        tables: c.tables,
        family: c.part.family,
        variant: c.variant,
        mismatch: c.mismatch,
        live: parseSave(c.liveText),
        input: c.input,
        scratch: scratches[i]!,
      },
      replaceTables,
      sshPorts,
    ),
  );
  const own = changes.flatMap((c) =>
    c.tables.map((t) =>
      c.variant === 'legacy'
        ? `iptables-legacy ${c.part.family} ${t.name}`
        : `${c.part.family === 'v6' ? 'ip6' : 'ip'} ${t.name}`,
    ),
  );
  const findings = mergeWithFlows(
    planned.flatMap((p) => p.analysis),
    probeResults,
    replay,
    { mode: admins.mode, ipv6InUse, own },
    netResults,
  );
  if (!probeResults && probeError) {
    findings.push(probesFailed(probeError));
  }
  const expected =
    planned.length === 1 ? planned[0]!.expected : { format: 'iptables', parts: planned.map((p) => p.expected) };
  const after = scratches.map((x) => x.after.replace(/^\[\d+:\d+\] /gm, '').replace(/^#.*\n/gm, '')).join('');
  const plan: PlanT = {
    version: PLAN_VERSION,
    format: 'iptables',
    createdAt: new Date().toISOString(),
    netns: base.netns,
    // Where it applies: here for a plan of the live rules, where an export was taken; a bare save names no place.
    ...(base.where ? { where: base.where } : {}),
    base: { hash: base.hash, source: base.source, ref: base.ref },
    proposal: { path: parts.length === 1 ? resolve(path) : path, sha256: sha256(text), text },
    result: { hash: sha256(after), touchedText: JSON.stringify(expected) },
    touchedTables: planned.flatMap((p) => p.touchedTables),
    diff: mergeDiffs(planned.map((p) => p.diff)),
    counters: planned.flatMap((p) => p.counters),
    findings,
    rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    transaction: { apply: planned.flatMap((p) => p.apply), rollback: planned.flatMap((p) => p.rollback) },
  };
  debugLog('iptables plan: built');
  const parsedPlan = Plan.parse(plan);
  debugLog('iptables plan: validated');
  return { plan: parsedPlan, baseSnapshot: base.snapshot };
}
