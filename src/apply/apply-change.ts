import { inverseDelta } from './inverse.js';
import { HistoryStore } from '../history/store.js';
import { currentActor } from '../history/actor.js';
import type { VersionRecordT } from '../history/schema.js';
import type { PlanT } from '../plan/schema.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { takeSnapshot } from '../snapshot/take.js';
import { run } from '../run/runner.js';
import { readPending, releaseLock, updatePending, writePending } from '../pending/store.js';
import { PENDING_SCHEMA, type PendingRecordT } from '../pending/schema.js';
import { bootId, monoNowNs } from '../pending/clock.js';
import { currentConnection } from '../session/connection.js';
import { bootTicksNow } from '../watchdog/proc-stat.js';
import { armGuards, armSystemdBackstop } from '../watchdog/arm.js';
import { acquireLock } from './lock.js';
import { newChangeId, newCode } from './ids.js';
import { pendingOutcome } from './outcome.js';
import { rollbackPending } from './resolve.js';
import { abandonPending } from './abandon.js';
import { fingerprintOf } from './observe.js';
import { FwsafeError, ExitCode, KernelRejectedError } from '../errors.js';
import { redactIncluded } from '../plan/nft-error.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';

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
  held?: { changeId: string; baseSnapshot: SnapshotT | null };
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
    throw new FwsafeError(`${blocking.length} blocking finding(s): ${blocking.map((f) => f.code).join(', ')}. Nothing was applied.`, {
      code: 'BLOCKED_BY_FINDING',
      exitCode: ExitCode.blocked,
      actions: ['Fix the proposal (see fwsafe plan), or apply anyway with --force.'],
      details: { findings: blocking },
    });
  }
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

/** The inverse delta, or null (whole-table rollback) if it cannot be computed. */
function inverseOrNull(before: string, after: string, tables: { family: string; name: string }[]): NonNullable<PendingRecordT['rollback']['inverse']> | null {
  try {
    return inverseDelta(before, after, tables);
  } catch {
    return null;
  }
}

/**
 * Applies a planned change under the watchdog: lock, drift check, base version, pending record
 * (fsynced), watchdog armed, then one nft transaction. Returns while the change awaits confirmation.
 */
export async function applyChange(options: ApplyOptions): Promise<AppliedChange> {
  const { plan, netns } = options;
  const store = new HistoryStore(options.stateDir);
  const where = currentWhere(netns);
  assertTakenHere('The plan', plan.where, where, options.fromElsewhere ?? false);
  refuseBlocked(plan, options.force);
  store.init();
  const changeId = options.held?.changeId ?? newChangeId();
  if (!options.held) acquireLock(store.paths, changeId, netns);
  let pending: PendingRecordT;
  let baseText = '';
  try {
    const snapshot = options.held?.baseSnapshot ?? (await takeSnapshot(netns, { json: false })).snapshot;
    baseText = snapshot.nft.text;
    if (snapshot.hash !== plan.base.hash) throw driftError(plan.base.hash, snapshot.hash);
    const actor = currentActor();
    const base = store.add(
      { kind: 'snapshot', createdAt: snapshot.takenAt, actor, message: `before change ${changeId}`, netns, hash: snapshot.hash, summary: snapshot.summary, change: null },
      snapshot,
    );
    const touchedTables = plan.touchedTables.map((t) => ({ family: t.family, name: t.name, iptablesNft: t.iptablesNft }));
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
      touchedTables,
      rollback: plan.rollback,
      expectedText: plan.result.touchedText,
      before: fingerprintOf(snapshot, touchedTables),
      proposalText: plan.proposal.text,
      timeoutSec: options.timeoutSec,
      deadline: new Date(Date.now() + options.timeoutSec * 1000).toISOString(),
      deadlineMonoNs: String(deadlineMono),
      bootId: bootId(),
      watchdogPid: null,
      code: newCode(),
      persistPath: options.persistPath,
      rollbackRequest: null,
      appliedFrom: currentConnection(),
      appliedAtTicks: null,
    };
    writePending(store.paths, pending);
  } catch (error) {
    releaseLock(store.paths);
    throw error;
  }
  // From here on a pending record exists: every failure path records why. Before the proposal reaches
  // the kernel nothing is restored (only checked); after it, the stored rollback runs.
  let sent = false;
  try {
    const guardPids = await armGuards(store.paths, changeId);
    const watchdogPid = guardPids[0]!;
    pending = updatePending(store.paths, (r) => ({ ...r, watchdogPid })) ?? pending;
    const systemdBackstop = await armSystemdBackstop({ stateDir: store.paths.root, netns, afterSeconds: options.timeoutSec + 5, bin: options.bin });
    sent = true;
    const applied = await run('nft', ['-f', '-'], { netns, input: plan.proposal.text, allowFailure: true, timeoutMs: 60_000 });
    // A clean refusal (nft exited non-zero on its own) is atomic: nothing was applied. A timeout or a
    // signal leaves it open whether the transaction committed: that goes the rollback way below.
    if (applied.exitCode !== 0 && !applied.timedOut && applied.signal === null) {
      sent = false;
      const why = redactIncluded(applied.stderr, []).trim().split('\n').slice(0, 6).join('\n');
      const abandoned = await abandonPending(store, changeId, `nft rejected the proposal: ${why}`);
      const checked = abandoned?.differing?.length === 0 ? ' (checked against the kernel)' : '';
      const extra = abandoned && abandoned.differing !== null && abandoned.differing.length > 0 ? `\n${abandoned.note}` : '';
      throw new KernelRejectedError(`The kernel rejected the proposal; nothing was changed${checked}:\n${why}${extra}`, { details: { changeId } });
    }
    if (applied.exitCode !== 0) throw new FwsafeError(`nft -f did not finish (${applied.timedOut ? 'timed out' : `killed by ${applied.signal}`}).`, { code: 'APPLY_INTERRUPTED' });
    // A connection opened after this moment met the new rules: only such a one proves a confirmation.
    const appliedAtTicks = bootTicksNow();
    const { snapshot: after } = await takeSnapshot(netns, { json: false });
    const version = store.add(
      { kind: options.kind ?? 'apply', createdAt: after.takenAt, actor: pending.actor, message: options.message, netns, hash: after.hash, summary: after.summary, change: pendingOutcome(pending) },
      after,
    );
    // The inverse needs the handles the kernel gave the change's rules: computed now, from the listing
    // just taken; until it is stored the watchdog has the whole-table restore. `after`: the touched
    // tables as the kernel lists them now, what a rollback compares with (like with like).
    const inverse = inverseOrNull(baseText, after.nft.text, plan.touchedTables.filter((t) => !t.iptablesNft));
    const afterPrint = fingerprintOf(after, pending.touchedTables);
    pending =
      updatePending(store.paths, (r) => ({ ...r, versionId: version.id, after: afterPrint, rollback: { ...r.rollback, inverse }, appliedAtTicks })) ??
      { ...pending, versionId: version.id, after: afterPrint, appliedAtTicks };
    store.journal({ event: 'change-applied', changeId, version: version.id, baseVersion: pending.baseVersion, deadline: pending.deadline, watchdogPid, guardPids });
    return { pending, version, systemdBackstop };
  } catch (error) {
    if (readPending(store.paths)?.changeId === changeId) {
      if (sent) await rollbackPending({ stateDir: store.paths.root, reason: 'apply-failed', changeId, applyError: (error as Error).message });
      else await abandonPending(store, changeId, (error as Error).message);
    }
    throw error;
  }
}
