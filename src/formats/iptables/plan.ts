import { resolve } from 'node:path';
import { parseSave, type SavedRuleset } from '../../backends/iptables-save.js';
import { sha256 } from '../../snapshot/hash.js';
import { parseSshConnection } from '../../plan/findings/context.js';
import { sshListenPorts } from '../../plan/ssh-ports.js';
import {
  checkAdminAddresses,
  hasGlobalIpv6,
  interfaceOf,
  parseProbeSpec,
  probeAdmins,
  runProbes,
} from '../../probes/index.js';
import { iptablesSavesText } from '../../probes/load-live.js';
import { flowReplay, mergeWithFlows } from '../../flows/replay.js';
import {
  PLAN_VERSION,
  Plan,
  type CounterAtRiskT,
  type DiffT,
  type FindingT,
  type PlanT,
  type TouchedTableT,
} from '../../plan/schema.js';
import { emptyDiff } from '../../plan/diff.js';
import { needsRoot } from '../../errors.js';
import { iptablesBase } from './base.js';
import type { FormatPlanOptions, PlannedChange, TransactionStepT } from '../types.js';
import { parseRestore, type RestoreTable } from './parse.js';
import type { IpFamily, IptablesVariant } from './family.js';
import { proposalParts, type ProposalPart } from './pair.js';
import {
  applyInput,
  carryCounters,
  declaredScope,
  inputLineMap,
  rollbackInput,
  touchedView,
  type ChainScope,
} from './transaction.js';
import { computeIptablesInScratch, type IptablesScratchResult } from './scratch.js';
import { changedScope, diffSaves, iptablesCountersAtRisk } from './diff.js';
import { iptablesFindings } from './findings.js';
import { iptablesProbeHooks } from './probe-hooks.js';
import { program } from './programs.js';
import type { ExpectedT } from './runtime.js';

/** With --replace-tables every chain of a named table is in scope (the restore rewrites the whole table). */
function tableScope(tables: string[], before: SavedRuleset[], after: SavedRuleset[]): ChainScope {
  const names = (s: SavedRuleset[], t: string): string[] =>
    s.find((x) => x.name === t)?.chains.map((c) => c.name) ?? [];
  return Object.fromEntries(tables.map((t) => [t, [...new Set([...names(before, t), ...names(after, t)])]]));
}

/** One family's file of the change, computed in its scratch namespace. */
interface PartComputed {
  part: ProposalPart;
  tables: RestoreTable[];
  family: IpFamily;
  variant: IptablesVariant;
  mismatch: FindingT | null;
  live: SavedRuleset[];
  input: string;
  scratch: IptablesScratchResult;
}

/** The part's plan pieces: diff, findings, counters, touched tables, its two transactions, what it leaves. */
function partPlan(
  c: PartComputed,
  replaceTables: boolean,
  sshPorts: number[],
): {
  diff: DiffT;
  analysis: FindingT[];
  counters: CounterAtRiskT[];
  touchedTables: TouchedTableT[];
  apply: TransactionStepT[];
  rollback: TransactionStepT[];
  expected: ExpectedT;
} {
  const { tables, family, variant, live, input, scratch } = c;
  const [before, after] = [parseSave(scratch.before), parseSave(scratch.after)];
  const scope = changedScope(
    before,
    after,
    replaceTables
      ? tableScope(
          tables.map((t) => t.name),
          before,
          after,
        )
      : declaredScope(tables),
  );
  const label = (table: string): string => `iptables-${variant} ${family} ${table}`;
  const diff = diffSaves(before, after, scope, label, 'live');
  const analysis: FindingT[] = [
    ...(c.mismatch ? [c.mismatch] : []),
    ...iptablesFindings({ before, after, scope, family, replaceTables, label, sshPorts }),
    ...scratch.notReproduced.map(
      (t): FindingT =>
        scope[t]
          ? {
              code: 'IPTABLES_TABLE_NOT_REPRODUCED',
              severity: 'error',
              message: `The live ${label(t)} table could not be loaded into the scratch namespace, so the change to it cannot be computed.`,
              fix: 'Check the table with iptables-save; a match on a missing ipset or module is the usual cause.',
              location: label(t),
            }
          : {
              code: 'IPTABLES_TABLE_NOT_REPRODUCED',
              severity: 'info',
              message: `The live ${label(t)} table could not be loaded into the scratch namespace; the change does not touch it.`,
              fix: 'Nothing to do.',
              location: label(t),
            },
    ),
  ];
  const flags = ['-w', '5', '-c', '--noflush'];
  const restore = program('restore', variant, family);
  const what = (verb: string): string =>
    `iptables-${variant} ${family} ${verb} ${Object.entries(scope)
      .map(([t, ch]) => `${t}: ${ch.join(',')}`)
      .join('; ')}`;
  const applyStep: TransactionStepT = replaceTables
    ? {
        program: restore,
        args: ['-w', '5'],
        input,
        what: `iptables-${variant} ${family} tables ${tables.map((t) => t.name).join(', ')} (full restore)`,
      }
    : {
        program: restore,
        args: flags,
        input: rollbackInput(carryCounters(live, after), before, scope),
        what: what('chains'),
      };
  const rollback = rollbackInput(live, after, scope);
  const changed = Object.keys(scope).length > 0;
  return {
    diff,
    analysis,
    counters: iptablesCountersAtRisk(live, diff, scope, label),
    touchedTables: Object.keys(scope).map((name) => ({
      family: family === 'v6' ? 'ip6' : 'ip',
      name,
      existedBefore: true,
      existsAfter: true,
      owner: `iptables-${variant}`,
      iptablesNft: variant === 'nft',
    })),
    apply: changed ? [applyStep] : [],
    rollback: rollback ? [{ program: restore, args: flags, input: rollback, what: what('restore chains') }] : [],
    expected: { format: 'iptables', variant, family, tables: touchedView(after, scope) },
  };
}

/** Two families' diffs as one (their table names carry the variant and family, so they never collide). */
function mergeDiffs(diffs: DiffT[]): DiffT {
  if (diffs.length === 1) return diffs[0]!;
  const out = emptyDiff();
  for (const d of diffs) {
    for (const k of Object.keys(out.summary) as (keyof DiffT['summary'])[]) out.summary[k] += d.summary[k];
    out.tables.push(...d.tables);
    out.chains.push(...d.chains);
    out.rules.push(...d.rules);
    out.sets.push(...d.sets);
  }
  out.unified = diffs.map((d) => d.unified).join('');
  return out;
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
  const parts = proposalParts(text, path, options.iptables?.family ?? null);
  const parsed = parts.map((part) => ({ part, tables: parseRestore(part.text, part.path) }));
  const replaceTables = options.iptables?.replaceTables ?? false;
  const backend = options.iptables?.backend ?? null;
  const base = await iptablesBase(
    options.against,
    options.netns,
    parts.map((p) => p.family),
    backend,
    options.stateDir,
  );
  const live = base.source === 'live';
  const choices = await Promise.all(parts.map((p) => base.variant(p.family, backend)));
  const env = options.env ?? process.env;
  // Against a saved base there is no session or host to read: the stand-ins and SSH on 22, as for nft.
  const ssh = live ? parseSshConnection(env.SSH_CONNECTION) : null;
  const sshPorts = live ? await sshListenPorts(options.netns) : [22];
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
  const changes = parsed.map(({ part, tables }, i) => {
    const { variant, mismatch } = choices[i]!;
    const liveText = (variant === 'nft' ? base.iptablesNft : base.iptablesLegacy)[part.family];
    return { part, tables, variant, mismatch, liveText, input: applyInput(tables, replaceTables) };
  });
  let probeError: string | null = null;
  const [scratches, probeResults] = await Promise.all([
    Promise.all(
      changes.map((c) =>
        computeIptablesInScratch({
          variant: c.variant,
          family: c.part.family,
          liveSave: c.liveText,
          input: c.input,
          lineMap: inputLineMap(c.tables, replaceTables),
          replaceTables,
          proposalPath: c.part.path,
          proposalLines: c.part.text.split('\n'),
          ipsets: base.ipsets,
        }),
      ),
    ),
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
            format: iptablesProbeHooks({
              base,
              swaps: changes.map((c) => ({ variant: c.variant, family: c.part.family, input: c.input })),
              replaceTables,
            }),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
  ]);
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
  );
  if (!probeResults && probeError) {
    findings.push({
      code: 'PROBES_FAILED',
      severity: 'warning',
      message: `The lockout probes could not run: ${probeError}`,
      fix: 'Rely on the rule analysis above, or run plan again.',
      location: null,
    });
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
  return { plan: Plan.parse(plan), baseSnapshot: base.snapshot };
}
