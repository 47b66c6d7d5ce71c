import { resolve } from 'node:path';
import { parseSave, type SavedRuleset } from '../../backends/iptables-save.js';
import { saveVariant } from '../../backends/iptables.js';
import { takeSnapshot } from '../../snapshot/take.js';
import { sha256 } from '../../snapshot/hash.js';
import { parseSshConnection } from '../../plan/findings/context.js';
import { sshListenPorts } from '../../plan/ssh-ports.js';
import { interfaceOf, parseProbeSpec, probeFindings, probesFailed, runProbes } from '../../probes/index.js';
import { PLAN_VERSION, Plan, type FindingT, type PlanT } from '../../plan/schema.js';
import { UserError, needsRoot } from '../../errors.js';
import type { FormatPlanOptions, PlannedChange, TransactionStepT } from '../types.js';
import { parseRestore } from './parse.js';
import { familyOf } from './family.js';
import { chooseVariant } from './variant.js';
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
import { currentWhere } from '../../host/identity.js';
import type { ExpectedT } from './runtime.js';
import { debugLog } from '../../run/debug.js';

/** With --replace-tables every chain of a named table is in scope (the restore rewrites the whole table). */
function tableScope(tables: string[], before: SavedRuleset[], after: SavedRuleset[]): ChainScope {
  const names = (s: SavedRuleset[], t: string): string[] =>
    s.find((x) => x.name === t)?.chains.map((c) => c.name) ?? [];
  return Object.fromEntries(tables.map((t) => [t, [...new Set([...names(before, t), ...names(after, t)])]]));
}

/**
 * Plans an iptables-restore proposal: the variant the host uses for its family, the live rules and the
 * change computed in a scratch namespace with that variant, a diff per table/chain/rule in iptables
 * syntax, counters at risk, findings, real-packet probes through everything the kernel decides with,
 * and the two stored transactions (change and rollback) naming only the chains that change.
 */
export async function planIptables(options: FormatPlanOptions): Promise<PlannedChange> {
  const { proposalText: text, proposalPath: path } = options;
  if (options.against)
    throw new UserError('--against is not supported for iptables proposals yet: plan against the live rules.', {
      code: 'IPTABLES_AGAINST_UNSUPPORTED',
    });
  if (process.getuid?.() !== 0)
    throw needsRoot('Planning an iptables change (a snapshot and a scratch network namespace)');
  debugLog('iptables plan: start');
  const tables = parseRestore(text, path);
  const { family } = familyOf(text, path, options.iptables?.family ?? null);
  const replaceTables = options.iptables?.replaceTables ?? false;
  const choice = await chooseVariant(options.netns, family, options.iptables?.backend ?? null);
  const { variant } = choice;
  const input = applyInput(tables, replaceTables);
  const inScratch = (liveSave: string | null): Promise<IptablesScratchResult> =>
    computeIptablesInScratch({
      variant,
      family,
      liveSave,
      tables: tables.map((t) => t.name),
      input,
      lineMap: inputLineMap(tables, replaceTables),
      replaceTables,
      proposalPath: path,
      proposalLines: text.split('\n'),
    });
  // The live save of the family is started first: the scratch namespace loads it while nft lists the
  // ruleset for the snapshot, which keeps that very save (takeSnapshot's `early`).
  const early = saveVariant(options.netns, variant, family);
  // Its outcome, refusal included, counts only if the snapshot keeps the same save (checked below).
  const earlyScratch = early.then((save) =>
    inScratch(save).then(
      (result) => ({ save, result, error: null }),
      (error: unknown) => ({ save, result: null, error }),
    ),
  );
  // Settled below in every case (awaited, or waited for before an error leaves): never an unhandled rejection.
  earlyScratch.catch(() => undefined);
  let taken: Awaited<ReturnType<typeof takeSnapshot>>;
  let sshPorts: number[];
  try {
    [taken, sshPorts] = await Promise.all([
      takeSnapshot(options.netns, { json: false, early: { variant, family, text: early } }),
      sshListenPorts(options.netns),
    ]);
  } catch (error) {
    await earlyScratch.catch(() => undefined);
    throw error;
  }
  const { snapshot, model } = taken;
  debugLog('iptables plan: snapshot taken');
  const liveText = (variant === 'nft' ? snapshot.iptablesNft : snapshot.iptablesLegacy)[family];
  const live = parseSave(liveText);
  const env = options.env ?? process.env;
  const ssh = parseSshConnection(env.SSH_CONNECTION);
  const probing = options.probes?.enabled ?? true;
  let probeError: string | null = null;
  const [first, probeResults] = await Promise.all([
    earlyScratch,
    probing
      ? interfaceOf(options.netns, ssh?.server ?? null).then((ifname) =>
          runProbes({
            baseText: snapshot.nft.text,
            proposalPath: resolve(path),
            proposalText: text,
            ssh,
            sshPorts,
            ifname,
            mustAllow: (options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s)),
            mustDeny: (options.probes?.mustDeny ?? []).map((s) => parseProbeSpec(s)),
            format: iptablesProbeHooks({ snapshot, model, variant, family, input, replaceTables }),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
  ]);
  // The scratch must hold what the snapshot holds: when the listing showed no table of this variant and
  // family (so the snapshot kept no save), the change is computed again from that.
  if (first.save === liveText && first.error !== null) throw first.error;
  const scratch = first.save === liveText && first.result !== null ? first.result : await inScratch(liveText);
  debugLog('iptables plan: scratch done');
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
  const findings: FindingT[] = [
    ...(choice.mismatch ? [choice.mismatch] : []),
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
  if (probeResults) {
    const own = tables.map((t) =>
      variant === 'legacy' ? `iptables-legacy ${family} ${t.name}` : `${family === 'v6' ? 'ip6' : 'ip'} ${t.name}`,
    );
    const fromProbes = probeFindings(probeResults, own);
    findings.unshift(...fromProbes.filter((f) => f.severity === 'error'));
    findings.push(...fromProbes.filter((f) => f.severity !== 'error'));
  } else if (probeError) {
    findings.push(probesFailed(probeError));
  }
  const flags = ['-w', '5', '-c', '--noflush'];
  const restore = program('restore', variant, family);
  const what = (verb: string): string =>
    `iptables-${variant} ${family} ${verb} ${Object.entries(scope)
      .map(([t, c]) => `${t}: ${c.join(',')}`)
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
  const expected: ExpectedT = { format: 'iptables', variant, family, tables: touchedView(after, scope) };
  const changed = Object.keys(scope).length > 0;
  const plan: PlanT = {
    version: PLAN_VERSION,
    format: 'iptables',
    createdAt: new Date().toISOString(),
    netns: options.netns,
    // A plan of the live rules: applied only here (unless --from-elsewhere), as nft plans.
    where: currentWhere(options.netns),
    base: { hash: snapshot.hash, source: 'live', ref: null },
    proposal: { path: resolve(path), sha256: sha256(text), text },
    result: {
      hash: sha256(scratch.after.replace(/^\[\d+:\d+\] /gm, '').replace(/^#.*\n/gm, '')),
      touchedText: JSON.stringify(expected),
    },
    touchedTables: Object.keys(scope).map((name) => ({
      family: family === 'v6' ? 'ip6' : 'ip',
      name,
      existedBefore: true,
      existsAfter: true,
      owner: `iptables-${variant}`,
      iptablesNft: variant === 'nft',
    })),
    diff,
    counters: iptablesCountersAtRisk(live, diff, scope, label),
    findings,
    rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    transaction: {
      apply: changed ? [applyStep] : [],
      rollback: rollback ? [{ program: restore, args: flags, input: rollback, what: what('restore chains') }] : [],
    },
  };
  debugLog('iptables plan: built');
  const parsed = Plan.parse(plan);
  debugLog('iptables plan: validated');
  return { plan: parsed, baseSnapshot: snapshot };
}
