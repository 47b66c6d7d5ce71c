import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../run/runner.js';
import { takeSnapshot } from '../../snapshot/take.js';
import type { SnapshotT } from '../../snapshot/schema.js';
import { sha256, contentHash } from '../../snapshot/hash.js';
import { buildModel, type RulesetModel } from '../../ruleset/model.js';
import { diffModels, touchedKeys, blockOf } from '../../plan/diff.js';
import { countersAtRisk } from '../../plan/counters.js';
import { buildRollback } from '../../plan/rollback.js';
import { parseSshConnection } from '../../plan/findings/context.js';
import { sshListenPorts } from '../../plan/ssh-ports.js';
import { interfaceOf, parseProbeSpec, probeFindings, probesFailed, runProbes } from '../../probes/index.js';
import { probeAdmins } from '../../probes/admins.js';
import { PLAN_VERSION, Plan, type FindingT, type PlanT, type TouchedTableT } from '../../plan/schema.js';
import { FwsafeError, ExitCode, UserError, needsRoot } from '../../errors.js';
import { isFirewalldTable } from '../../backends/firewalld.js';
import { parseFirewalldProposal, opArgv, type FirewalldOp } from './operations.js';
import {
  busFromEnv,
  failureText,
  firewallCmd,
  firewalldPid,
  readState,
  unavailable,
  type FirewalldTarget,
} from './client.js';
import { diffStates, forwardOps, inverseOps, isEmptyDiff, type FirewalldStateT } from './state.js';
import { startScratchFirewalld } from './scratch.js';
import { zoneFindings } from './findings.js';
import type { FirewalldPlanT } from './schema.js';

export interface FirewalldPlanOptions {
  netns: string | null;
  proposalPath: string;
  proposalText: string;
  against?: string | null;
  env?: NodeJS.ProcessEnv;
  probes?: { enabled: boolean; mustAllow?: string[]; mustDeny?: string[] };
  /** Admin addresses probed when there is no SSH_CONNECTION (checked by createPlanWithBase). */
  adminAddresses?: string[] | string;
}

const FIREWALLD_TABLE = { family: 'inet', name: 'firewalld' };

/** The live firewalld's view of /etc/firewalld (through its own mount namespace), else the host's. */
async function liveConfigDir(target: FirewalldTarget): Promise<string> {
  const pid = await firewalldPid(target);
  const viaPid = pid ? `/proc/${pid}/root/etc/firewalld` : null;
  return viaPid && existsSync(viaPid) ? viaPid : '/etc/firewalld';
}

/** Resolves each operation's zone (the default zone when none is named, as firewall-cmd does, in order). */
function resolveZones(ops: FirewalldOp[], defaultZone: string): FirewalldOp[] {
  let current = defaultZone;
  return ops.map((op) => {
    if (op.item === 'default-zone') current = op.value!;
    return op.scope.kind === 'zone' && op.scope.name === null ? { ...op, scope: { kind: 'zone', name: current } } : op;
  });
}

interface ScratchRun {
  before: FirewalldStateT;
  after: FirewalldStateT;
  tableBefore: string;
  tableAfter: string;
  listingBefore: { text: string; json: string };
  listingAfter: { text: string; json: string };
  residual: string[];
  noOps: { line: number; text: string; why: string }[];
}

async function listFirewalldTable(netns: string): Promise<{ text: string; json: string }> {
  const [text, json] = await Promise.all([
    run('nft', ['-a', 'list', 'table', 'inet', 'firewalld'], { netns, allowFailure: true }),
    run('nft', ['-j', 'list', 'table', 'inet', 'firewalld'], { netns, allowFailure: true }),
  ]);
  return { text: text.exitCode === 0 ? text.stdout : '', json: json.exitCode === 0 ? json.stdout : '{"nftables":[]}' };
}

/** Runs the operations on a scratch firewalld brought to the live runtime state; lists zones and table before/after. */
async function runInScratch(
  live: FirewalldStateT,
  configDir: string,
  ops: FirewalldOp[],
  path: string,
): Promise<ScratchRun> {
  const scratch = await startScratchFirewalld(configDir);
  try {
    const t = scratch.target;
    const start = await readState(t);
    // Runtime-only differences of the live firewalld (others' changes, an unreloaded edit) replayed here.
    const residual: string[] = [];
    for (const argv of forwardOps(diffStates(start, live))) {
      const r = await firewallCmd(t, argv);
      if (r.exitCode !== 0) residual.push(`${argv.join(' ')}: ${failureText(r)}`);
    }
    const before = await readState(t);
    const left = diffStates(before, live);
    if (!isEmptyDiff(left) || left.unmatched.length)
      residual.push(...left.changes.map((c) => `${c.kind} ${c.container} ${c.item}`), ...left.unmatched);
    const listingBefore = await listFirewalldTable(t.netns!);
    const noOps: ScratchRun['noOps'] = [];
    for (const op of ops) {
      const r = await firewallCmd(t, opArgv(op));
      if (r.exitCode !== 0 || r.timedOut) {
        throw new FwsafeError(
          `${path} line ${op.line}: \`${op.text}\` — firewalld refused it: ${failureText(r)}. Nothing was applied.`,
          {
            code: 'FIREWALLD_REJECTED',
            exitCode: ExitCode.kernelRejected,
            actions: ['Fix that line (firewall-cmd --help names every option), then plan again.'],
            details: { line: op.line },
          },
        );
      }
      const warning = /Warning: ([A-Z_]+: .*)/.exec(r.stderr + r.stdout)?.[1];
      if (warning) noOps.push({ line: op.line, text: op.text, why: warning.trim() });
    }
    const after = await readState(t);
    const listingAfter = await listFirewalldTable(t.netns!);
    return {
      before,
      after,
      tableBefore: listingBefore.text,
      tableAfter: listingAfter.text,
      listingBefore,
      listingAfter,
      residual,
      noOps,
    };
  } finally {
    await scratch.stop();
  }
}

/** The live model with `inet firewalld` replaced by a listing of the scratch firewalld's table. */
function withFirewalldTable(live: RulesetModel, listing: { text: string; json: string }): RulesetModel {
  const table = buildModel(listing.json, listing.text).tables.filter(isFirewalldTable);
  return { tables: [...live.tables.filter((t) => !isFirewalldTable(t)), ...table] };
}

/**
 * Plans a firewalld proposal: a scratch firewalld (private namespace, bus and /run, a copy of the live
 * configuration brought to the live runtime state) runs the operations; the plan holds the zone-level
 * diff, the nft diff of `inet firewalld`, findings, real-packet probes and the inverse operations.
 */
export async function planFirewalld(
  options: FirewalldPlanOptions & { recognition?: unknown },
): Promise<{ plan: PlanT; baseSnapshot: SnapshotT | null }> {
  const ops = parseFirewalldProposal(options.proposalText, options.proposalPath);
  if (options.against)
    throw new UserError(
      '--against is not supported for firewalld proposals: they are planned against the running firewalld.',
      { code: 'FIREWALLD_AGAINST_UNSUPPORTED' },
    );
  if (process.getuid?.() !== 0)
    throw needsRoot('Planning a firewalld change (a scratch firewalld in its own namespace)');
  const env = options.env ?? process.env;
  const target: FirewalldTarget = { netns: options.netns, bus: busFromEnv(env) };
  const { snapshot, model: liveModel } = await takeSnapshot(options.netns);
  if (!liveModel.tables.some(isFirewalldTable))
    throw unavailable(
      `no table inet firewalld in ${options.netns ? `namespace ${options.netns}` : 'this namespace'} (firewalld with its nftables backend is not running here)`,
    );
  const [live, configDir] = await Promise.all([readState(target), liveConfigDir(target)]);
  const resolved = resolveZones(ops, live.defaultZone);
  const ssh = parseSshConnection(env.SSH_CONNECTION);
  const [sshPorts, ifname] = await Promise.all([
    sshListenPorts(options.netns),
    interfaceOf(options.netns, ssh?.server ?? null),
  ]);
  const scratch = await runInScratch(live, configDir, resolved, options.proposalPath);
  const zoneDiff = diffStates(scratch.before, scratch.after);

  const before = withFirewalldTable(liveModel, scratch.listingBefore);
  const after = withFirewalldTable(liveModel, scratch.listingAfter);
  const touched = touchedKeys(before, after, ['inet firewalld']);
  const touchedTables: TouchedTableT[] = touched.map(() => ({
    ...FIREWALLD_TABLE,
    existedBefore: true,
    existsAfter: true,
    owner: 'firewalld',
    iptablesNft: false,
  }));

  const findings: FindingT[] = zoneFindings({
    before: scratch.before,
    after: scratch.after,
    diff: zoneDiff,
    ssh,
    ifname,
    sshPorts,
    noOps: scratch.noOps,
  });
  if (scratch.residual.length) {
    findings.push({
      code: 'FIREWALLD_NOT_REPRODUCED',
      severity: 'warning',
      message: `The scratch firewalld could not be brought exactly to the live runtime state: ${scratch.residual.slice(0, 5).join('; ')}.`,
      fix: 'The zone diff is still exact for what the proposal changes; the probes may differ for the items named.',
      location: null,
    });
  }
  const probing = options.probes?.enabled ?? true;
  if (probing && touched.length > 0) {
    // Real packets through the live ruleset with firewalld's table as the scratch firewalld left it.
    const swap = `table inet firewalld\ndelete table inet firewalld\n${scratch.tableAfter}`;
    const swapDir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-swap-'));
    try {
      writeFileSync(join(swapDir, 'swap.nft'), swap, { mode: 0o600 });
      const results = await runProbes({
        baseText: snapshot.nft.text,
        proposalPath: join(swapDir, 'swap.nft'),
        proposalText: swap,
        ssh,
        // Whose new logins are probed: the session's client, else --admin-address, else the stand-ins.
        admins: probeAdmins(ssh, ([] as string[]).concat(options.adminAddresses ?? []), snapshot.nft.text),
        sshPorts,
        ifname,
        mustAllow: (options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s)),
        mustDeny: (options.probes?.mustDeny ?? []).map((s) => parseProbeSpec(s)),
      });
      const fromProbes = probeFindings(results).map((f) =>
        f.code === 'PROBE_NEW_LOGIN_BLOCKED' || f.code === 'PROBE_SESSION_CUT'
          ? { ...f, fix: 'Keep ssh allowed in the zone your connection falls in (see FIREWALLD_SSH_REMOVED).' }
          : f,
      );
      findings.unshift(...fromProbes.filter((f) => f.severity === 'error'));
      findings.push(...fromProbes.filter((f) => f.severity !== 'error'));
    } catch (error) {
      findings.push(probesFailed((error as Error).message, 'zone analysis'));
    } finally {
      rmSync(swapDir, { recursive: true, force: true });
    }
  }
  const firewalld: FirewalldPlanT = {
    ops: resolved.map((op) => ({ line: op.line, text: op.text, argv: opArgv(op) })),
    diff: zoneDiff,
    rollbackOps: inverseOps(zoneDiff),
  };
  const plan: PlanT = {
    version: PLAN_VERSION,
    format: 'firewalld',
    createdAt: new Date().toISOString(),
    netns: options.netns,
    base: { hash: snapshot.hash, source: 'live', ref: null },
    proposal: { path: options.proposalPath, sha256: sha256(options.proposalText), text: options.proposalText },
    result: {
      hash: contentHash({ nftText: after.tables.map((t) => t.text).join('\n') }),
      touchedText: touched.map((k) => blockOf(after.tables.find((t) => t.key === k))).join(''),
    },
    touchedTables,
    diff: diffModels(before, after, touched, { from: 'live', to: 'proposed' }),
    counters: countersAtRisk(liveModel, before, after, touched),
    findings,
    // Only a fallback: restores firewalld's table by nft when firewalld itself does not answer at rollback.
    rollback: buildRollback(snapshot.nft.text, touchedTables, { v4: null, v6: null }),
    firewalld,
    // The operations and their inverse as the plan shows them; apply records the bus with them (runtime.ts).
    transaction: {
      apply: firewalld.ops.map((op) => ({
        program: 'firewall-cmd' as const,
        args: op.argv,
        input: '',
        what: `line ${op.line}`,
      })),
      rollback: firewalld.rollbackOps.map((argv) => ({
        program: 'firewall-cmd' as const,
        args: argv,
        input: '',
        what: 'inverse operation',
      })),
    },
  };
  return { plan: Plan.parse(plan), baseSnapshot: snapshot };
}
