import type { HistoryStore } from '../history/store.js';
import type { ChangeOutcomeT, VersionRecordT } from '../history/schema.js';
import type { PendingRecordT } from '../pending/schema.js';
import { releaseOwnClaim, releaseLock, removePending } from '../pending/store.js';
import { removeGuardFiles } from '../watchdog/guard-files.js';

export function tableKeys(pending: PendingRecordT): string[] {
  return pending.touchedTables.map((t) => `${t.family} ${t.name}`);
}

/** The outcome of a change that is applied and waiting for confirmation. */
export function pendingOutcome(pending: PendingRecordT): ChangeOutcomeT {
  return {
    state: 'pending',
    changeId: pending.changeId,
    baseVersion: pending.baseVersion,
    touchedTables: tableKeys(pending),
    deadline: pending.deadline,
    confirmedAt: null,
    confirmedBy: null,
    rolledBackAt: null,
    rollbackReason: null,
    overwritten: [],
    persistedTo: null,
    error: null,
  };
}

/**
 * Writes the final outcome into the change's version record. When the change never got its own
 * version (the applying process died first), one is added with the base snapshot — the live state now.
 */
export function recordOutcome(
  store: HistoryStore,
  pending: PendingRecordT,
  patch: Partial<ChangeOutcomeT>,
): VersionRecordT {
  if (pending.versionId !== null) {
    return store.update(pending.versionId, (r) => ({
      ...r,
      change: { ...(r.change ?? pendingOutcome(pending)), ...patch },
    }));
  }
  const base = store.get(pending.baseVersion);
  return store.add(
    {
      kind: 'apply',
      createdAt: new Date().toISOString(),
      actor: pending.actor,
      message: pending.message,
      netns: pending.netns,
      hash: base.hash,
      summary: base.summary,
      change: { ...pendingOutcome(pending), ...patch },
    },
    store.snapshot(pending.baseVersion),
  );
}

/** The change is resolved: nothing pending, lock and claim released (in this order, so a crash leaves a record). */
export function releaseChange(store: HistoryStore, pending: PendingRecordT): void {
  removePending(store.paths);
  removeGuardFiles(store.paths, pending.changeId);
  releaseLock(store.paths);
  releaseOwnClaim(store.paths);
}
