import { HistoryStore } from '../history/store.js';
import type { TableStore } from '../history/table-store.js';
import { currentActor } from '../history/actor.js';
import type { VersionRecordT } from '../history/schema.js';
import type { PlanT } from '../plan/schema.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { takeSnapshot, type SnapshotOptions } from '../snapshot/take.js';
import { scopedHash } from '../snapshot/hash.js';
import { completeSnapshot, composeSnapshot, pickTables } from '../history/complete-snapshot.js';
import { runtimeOf } from '../formats/runtime.js';
import { run } from '../run/runner.js';
import { PERSIST_DEFAULT } from '../formats/types.js';
import { readPending, releaseLock, updatePending, writePending } from '../pending/store.js';
import { PENDING_SCHEMA, type PendingRecordT } from '../pending/schema.js';
import { bootId, monoNowNs } from '../pending/clock.js';
import { currentConnection } from '../session/connection.js';
import { bootTicksNow } from '../watchdog/proc-stat.js';
import { armGuards, armSystemdBackstop, type SpawnedGuard } from '../watchdog/arm.js';
import { acquireLock } from './lock.js';
import { newChangeId, newCode } from './ids.js';
import { pendingOutcome } from './outcome.js';
import { rollbackPending } from './resolve.js';
import { abandonPending } from './abandon.js';
import { fingerprintOf } from './observe.js';
import { FwsafeError, ExitCode, KernelRejectedError } from '../errors.js';
import { redactIncluded } from '../plan/nft-error.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';
import { debugLog } from '../run/debug.js';

export interface ApplyOptions {
  netns: string | null;
  stateDir?: string;
  plan: PlanT;
  timeoutSec: number;
  force: boolean;
  persistPath: string | null;
  message: string;
  /** bin/run.js, for the systemd backstop's `fwsafe recover`. */
  bin: string;
  /** 'restore' when bringing back a stored version. */
  kind?: 'apply' | 'restore';
  /**
   * Set by the gate: the lock is already held for this change id, taken before the plan's live
   * snapshot. With `baseSnapshot` (nobody was asked anything since) that snapshot is the base version
   * and no second listing is made; without it the live ruleset is listed again and compared.
   */
  held?: { changeId: string; baseSnapshot: SnapshotT | null; guards?: SpawnedGuard[] | null };
  /** Apply a plan made on another host or in another namespace (refused otherwise, exit 15). */
  fromElsewhere?: boolean;
}

export interface AppliedChange {
  pending: PendingRecordT;
  version: VersionRecordT;
  systemdBackstop: boolean;
}

export function blockingFindings(plan: PlanT): PlanT['findings'] {
  return plan.findings.filter((f) => f.severity === 'error');
}

/** Blocking findings stop a change unless forced (exit 5). */
export function refuseBlocked(plan: PlanT, force: boolean): void {
  const blocking = blockingFindings(plan);
  if (blocking.length > 0 && !force) {
    throw new FwsafeError(
      `${blocking.length} blocking finding(s): ${blocking.map((f) => f.code).join(', ')}. Nothing was applied.`,
      {
        code: 'BLOCKED_BY_FINDING',
        exitCode: ExitCode.blocked,
        actions: ['Fix the proposal (see fwsafe plan), or apply anyway with --force.'],
        details: { findings: blocking },
      },
    );
  }
}

/** The nft proposal as one transaction (an nft change's own; a restore may carry iptables steps after it). */
function nftProposal(plan: PlanT): { program: 'nft'; args: string[]; input: string; what: string } {
  return { program: 'nft', args: ['-f', '-'], input: plan.proposal.text, what: 'nft proposal' };
}

/** The live ruleset is not the one a plan was made against (exit 8). */
export function driftError(planBase: string, live: string): FwsafeError {
  return new FwsafeError('The live ruleset changed since the plan was made; nothing was applied.', {
    code: 'DRIFT',
    exitCode: ExitCode.drift,
    actions: ['Plan again: fwsafe plan PROPOSAL', 'See what changed: fwsafe diff latest'],
    details: { planBase, live },
  });
}

const keysOf = (tables: { family: string; name: string }[]): string[] => tables.map((t) => `${t.family} ${t.name}`);

/** The snapshot with only these nft tables' text: what fingerprints and the inverse read, cut out cheaply. */
function onlyTables(s: SnapshotT, tables: { family: string; name: string }[]): SnapshotT {
  return { ...s, nft: { text: pickTables(s.nft.text, keysOf(tables)), json: null } };
}

/**
 * The whole ruleset after the change. When the change was one nft transaction and the nft generation
 * moved by exactly one since the base was listed, that commit was the change's own: only the touched
 * tables are listed again, the others are the base's. Otherwise everything is listed.
 */
async function afterSnapshot(
  netns: string | null,
  tables: TableStore,
  baseVersion: number,
  base: SnapshotT,
  plan: PlanT | null,
  early: () => SnapshotOptions['early'],
): Promise<SnapshotT> {
  const touched = plan ? keysOf(plan.touchedTables) : [];
  if (plan && touched.length > 0 && base.generation) {
    // The change's commit finished before this listing starts: base + 1 is the floor of its generation.
    const floor = { ...base.generation, genid: base.generation.genid + 1 };
    const { snapshot: partial } = await takeSnapshot(netns, { json: false, tables: touched, floor });
    const composed = composeSnapshot(base, baseVersion, partial, 1, tables);
    if (composed) return composed;
  }
  return (await takeSnapshot(netns, { json: false, early: early() })).snapshot;
}

/**
 * Applies a planned change under the watchdog: lock, drift check, base version, pending record
 * (fsynced), watchdog armed, then one transaction per backend (nft, iptables-restore). Returns while the
 * change awaits confirmation.
 */
export async function applyChange(options: ApplyOptions): Promise<AppliedChange> {
  const { plan, netns } = options;
  const runtime = runtimeOf(plan.format);
  // The nft tables the change touches are fingerprinted around it; none for another format (iptables chains,
  // legacy tables included, are compared by the format's runtime through its own save program).
  const nftTouched = runtime.id === 'nft';
  const store = new HistoryStore(options.stateDir);
  const where = currentWhere(netns);
  assertTakenHere('The plan', plan.where, where, options.fromElsewhere ?? false);
  refuseBlocked(plan, options.force);
  store.init();
  const changeId = options.held?.changeId ?? newChangeId();
  if (!options.held) acquireLock(store.paths, changeId, netns);
  let pending: PendingRecordT;
  let baseText = '';
  let baseSnap: SnapshotT | null = null;
  try {
    const persistPath =
      options.persistPath === PERSIST_DEFAULT ? runtime.persistence.defaultPath(plan) : options.persistPath;
    // A path the change cannot be persisted to is refused now, before anything is applied.
    if (persistPath) runtime.persistence.split?.(persistPath, { expectedText: runtime.expectedText(plan) });
    // The drift check lists the tables the plan covers (all of them for a plan without `base.tables`).
    const scoped = plan.base.tables;
    const live =
      options.held?.baseSnapshot ??
      (await takeSnapshot(netns, { json: false, ...(scoped ? { tables: scoped } : {}) })).snapshot;
    const liveHash = scopedHash(live, scoped);
    if (liveHash !== plan.base.hash) throw driftError(plan.base.hash, liveHash);
    debugLog('apply: drift checked; completing the base version');
    // The base version keeps every table: the latest version's where the nft generation proves them unchanged.
    const snapshot = await completeSnapshot(store, netns, live);
    baseSnap = snapshot;
    baseText = snapshot.nft.text;
    const actor = currentActor();
    debugLog('apply: recording the base version');
    const base = store.add(
      {
        kind: 'snapshot',
        createdAt: snapshot.takenAt,
        actor,
        message: `before change ${changeId}`,
        netns,
        hash: snapshot.hash,
        summary: snapshot.summary,
        change: null,
      },
      snapshot,
    );
    debugLog('apply: base version recorded');
    const touchedTables = nftTouched
      ? plan.touchedTables.map((t) => ({ family: t.family, name: t.name, iptablesNft: t.iptablesNft }))
      : [];
    const deadlineMono = monoNowNs() + BigInt(options.timeoutSec) * 1_000_000_000n;
    pending = {
      schema: PENDING_SCHEMA,
      changeId,
      versionId: null,
      baseVersion: base.id,
      netns,
      where,
      createdAt: new Date().toISOString(),
      actor,
      message: options.message,
      format: runtime.id,
      touchedTables,
      rollback: { ...plan.rollback, steps: runtime.rollbackSteps(plan) },
      expectedText: runtime.expectedText(plan),
      // nft tables only: an iptables change's chains are compared by its runtime, never by nft fingerprints.
      ...(nftTouched ? { before: fingerprintOf(onlyTables(snapshot, touchedTables), touchedTables) } : {}),
      proposalText: plan.proposal.text,
      timeoutSec: options.timeoutSec,
      deadline: new Date(Date.now() + options.timeoutSec * 1000).toISOString(),
      deadlineMonoNs: String(deadlineMono),
      bootId: bootId(),
      watchdogPid: null,
      code: newCode(),
      persistPath,
      rollbackRequest: null,
      appliedFrom: currentConnection(),
      appliedAtTicks: null,
    };
    writePending(store.paths, pending);
    debugLog('apply: pending record written');
  } catch (error) {
    releaseLock(store.paths);
    throw error;
  }
  // From here on a pending record exists: every failure path records why. Before the proposal reaches
  // the kernel nothing is restored (only checked); after it, the stored rollback runs.
  let sent = false;
  try {
    const guardPids = await armGuards(store.paths, changeId, undefined, options.held?.guards ?? null);
    const watchdogPid = guardPids[0]!;
    debugLog('apply: guards armed');
    pending = updatePending(store.paths, (r) => ({ ...r, watchdogPid })) ?? pending;
    const systemdBackstop = await armSystemdBackstop({
      stateDir: store.paths.root,
      netns,
      afterSeconds: options.timeoutSec + 5,
      bin: options.bin,
    });
    // One transaction per backend: the nft proposal (when it has one), then the format's further steps
    // (iptables restores). A clean refusal of the first one is atomic: nothing was applied, nothing is
    // restored. A refusal after one committed, a timeout or a signal goes the rollback way below.
    debugLog('apply: systemd backstop checked');
    const steps = runtime.applySteps(plan);
    const transactions = [
      ...(nftTouched && (plan.proposal.text.trim() || steps.length === 0) ? [nftProposal(plan)] : []),
      ...steps,
    ];
    for (const [i, step] of transactions.entries()) {
      sent = true;
      const applied = await run(step.program, step.args, {
        netns,
        input: step.input,
        allowFailure: true,
        timeoutMs: 60_000,
      });
      if (applied.exitCode === 0) continue;
      const cleanRefusal = !applied.timedOut && applied.signal === null;
      if (!cleanRefusal) {
        const how = applied.timedOut ? 'timed out' : `killed by ${applied.signal}`;
        throw new FwsafeError(`${step.program} did not finish (${how}).`, { code: 'APPLY_INTERRUPTED' });
      }
      const why = redactIncluded(applied.stderr || applied.stdout, [])
        .trim()
        .split('\n')
        .slice(0, 6)
        .join('\n');
      if (i > 0) {
        const what = `The kernel rejected the change's ${step.what} (${step.program}); what was applied before it is rolled back`;
        throw new KernelRejectedError(`${what}:\n${why}`, { details: { changeId } });
      }
      sent = false;
      const abandoned = await abandonPending(store, changeId, `${step.program} rejected the proposal: ${why}`);
      const checked = abandoned?.differing?.length === 0 ? ' (checked against the kernel)' : '';
      const extra =
        abandoned && abandoned.differing !== null && abandoned.differing.length > 0 ? `\n${abandoned.note}` : '';
      throw new KernelRejectedError(
        `The kernel rejected the proposal; nothing was changed${checked}:\n${why}${extra}`,
        { details: { changeId } },
      );
    }
    const off = (await runtime.verifyApplied?.(pending)) ?? [];
    if (off.length > 0) {
      const why = `the live state is not what the plan predicted: ${off.slice(0, 6).join('; ')}`;
      await rollbackPending({ stateDir: store.paths.root, reason: 'apply-failed', changeId, applyError: why });
      throw new FwsafeError(`The change was applied but ${why}; it was rolled back.`, {
        code: 'APPLY_NOT_AS_PLANNED',
        exitCode: ExitCode.error,
        actions: ['Plan again: fwsafe plan PROPOSAL', 'See the record: fwsafe log'],
        details: { changeId },
      });
    }
    // A connection opened after this moment met the new rules: only such a one proves a confirmation.
    const appliedAtTicks = bootTicksNow();
    debugLog('apply: change applied; listing the applied version');
    const after = await afterSnapshot(
      netns,
      store.tables,
      pending.baseVersion,
      baseSnap!,
      nftTouched && transactions.length === 1 ? plan : null,
      () => runtime.earlySave?.(plan, netns),
    );
    debugLog('apply: applied version composed');
    const version = store.add(
      {
        kind: options.kind ?? 'apply',
        createdAt: after.takenAt,
        actor: pending.actor,
        message: options.message,
        netns,
        hash: after.hash,
        summary: after.summary,
        change: pendingOutcome(pending),
      },
      after,
    );
    debugLog('apply: applied version written');
    // The inverse needs the handles the kernel gave the change's rules: computed now, from the listing
    // just taken; until it is stored the watchdog has the whole-table restore. `after`: the touched
    // tables as the kernel lists them now, what a rollback compares with (like with like).
    const touchedOnly = onlyTables(after, pending.touchedTables);
    const inverse = nftTouched
      ? ((await runtime.inverse?.(pickTables(baseText, keysOf(pending.touchedTables)), touchedOnly.nft.text, plan)) ??
        null)
      : null;
    const afterPrint = nftTouched ? { after: fingerprintOf(touchedOnly, pending.touchedTables) } : {};
    pending = updatePending(store.paths, (r) => ({
      ...r,
      versionId: version.id,
      ...afterPrint,
      rollback: { ...r.rollback, inverse },
      appliedAtTicks,
    })) ?? { ...pending, versionId: version.id, ...afterPrint, appliedAtTicks };
    debugLog('apply: applied version recorded');
    store.journal({
      event: 'change-applied',
      changeId,
      version: version.id,
      baseVersion: pending.baseVersion,
      deadline: pending.deadline,
      watchdogPid,
      guardPids,
    });
    return { pending, version, systemdBackstop };
  } catch (error) {
    if (readPending(store.paths)?.changeId === changeId) {
      if (sent)
        await rollbackPending({
          stateDir: store.paths.root,
          reason: 'apply-failed',
          changeId,
          applyError: (error as Error).message,
        });
      else await abandonPending(store, changeId, (error as Error).message);
    }
    throw error;
  }
}
