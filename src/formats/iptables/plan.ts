import { resolve } from 'node:path';
import { parseSave, type SavedRuleset } from '../../backends/iptables-save.js';
import { takeSnapshot } from '../../snapshot/take.js';
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
import { computeIptablesInScratch } from './scratch.js';
import { changedScope, diffSaves, iptablesCountersAtRisk } from './diff.js';
import { iptablesFindings } from './findings.js';
import { iptablesProbeHooks } from './probe-hooks.js';
import { program } from './programs.js';
import { currentWhere } from '../../host/identity.js';
import type { ExpectedT } from './runtime.js';

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
  const tables = parseRestore(text, path);
  const { family } = familyOf(text, path, options.iptables?.family ?? null);
  const replaceTables = options.iptables?.replaceTables ?? false;
  const [{ snapshot, model }, choice] = await Promise.all([
    takeSnapshot(options.netns, { json: false }),
    chooseVariant(options.netns, family, options.iptables?.backend ?? null),
  ]);
  const { variant } = choice;
  const liveText = (variant === 'nft' ? snapshot.iptablesNft : snapshot.iptablesLegacy)[family];
  const live = parseSave(liveText);
  const input = applyInput(tables, replaceTables);
  const env = options.env ?? process.env;
  const ssh = parseSshConnection(env.SSH_CONNECTION);
  const sshPorts = await sshListenPorts(options.netns);
  const probing = options.probes?.enabled ?? true;
  const adminAddresses = checkAdminAddresses(options.adminAddresses ?? []);
  const ipv6InUse =
    family === 'v6' ||
    Boolean(ssh?.client.includes(':')) ||
    adminAddresses.some((a) => a.includes(':')) ||
    (probing && (await hasGlobalIpv6(options.netns)));
  // Whose logins the probes check: the session's client, else --admin-address, else every address that can log in today.
  const admins = probeAdmins(
    ssh,
    adminAddresses,
    `${snapshot.nft.text}\n${iptablesSavesText(snapshot)}\n${text}`,
    ipv6InUse,
  );
  // The host's flows (plan --flows), replayed as flows that must stay allowed.
  const replay = await flowReplay(
    probing && (options.flows?.enabled ?? false),
    options.netns,
    options.flows?.file ?? null,
  );
  let probeError: string | null = null;
  const [scratch, probeResults] = await Promise.all([
    computeIptablesInScratch({
      variant,
      family,
      liveSave: liveText,
      input,
      lineMap: inputLineMap(tables, replaceTables),
      replaceTables,
      proposalPath: path,
      proposalLines: text.split('\n'),
    }),
    probing
      ? interfaceOf(options.netns, ssh?.server ?? null).then((ifname) =>
          runProbes({
            baseText: snapshot.nft.text,
            proposalPath: resolve(path),
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
            liveNetns: options.netns,
            format: iptablesProbeHooks({ snapshot, model, variant, family, input, replaceTables }),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
  ]);
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
  const own = tables.map((t) =>
    variant === 'legacy' ? `iptables-legacy ${family} ${t.name}` : `${family === 'v6' ? 'ip6' : 'ip'} ${t.name}`,
  );
  const findings = mergeWithFlows(analysis, probeResults, replay, { mode: admins.mode, ipv6InUse, own });
  if (!probeResults && probeError) {
    findings.push({
      code: 'PROBES_FAILED',
      severity: 'warning',
      message: `The lockout probes could not run: ${probeError}`,
      fix: 'Rely on the rule analysis above, or run plan again.',
      location: null,
    });
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
  return { plan: Plan.parse(plan), baseSnapshot: snapshot };
}
