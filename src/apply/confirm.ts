import { HistoryStore } from '../history/store.js';
import { currentActor } from '../history/actor.js';
import type { ActorT } from '../history/schema.js';
import { readPending, releaseClaim } from '../pending/store.js';
import { monoNowNs } from '../pending/clock.js';
import { acquireClaim } from './claim.js';
import { recordOutcome, releaseChange } from './outcome.js';
import { persistConfirmed } from './persist.js';
import { tableKeys } from './outcome.js';
import { recordConfirmedTables } from '../history/confirmed-tables.js';
import { runtimeOf } from '../formats/runtime.js';
import { busyError, noPendingChange, rollbackClaimed } from './resolve.js';
import { FwsafeError, ExitCode } from '../errors.js';

export interface ConfirmResult {
  changeId: string;
  versionId: number;
  confirmedAt: string;
  confirmedBy: ActorT;
  persistedTo: string | null;
  previousPersistKeptAt: string | null;
  /** Why the persistent file was not written (the change is confirmed all the same). */
  persistError: string | null;
}

/** Keeps the pending change: the watchdog stands down, the version is marked confirmed, persisted only now. */
export async function confirmPending(options: { stateDir?: string | null; changeId?: string; actor?: ActorT }): Promise<ConfirmResult> {
  const store = new HistoryStore(options.stateDir);
  const pending = readPending(store.paths);
  if (pending === null) throw noPendingChange();
  if (options.changeId !== undefined && options.changeId !== pending.changeId) {
    throw new FwsafeError(`Change ${options.changeId} is not the pending one (${pending.changeId}).`, {
      code: 'CHANGE_NOT_PENDING',
      exitCode: ExitCode.notFound,
      actions: ['See the pending change with: fwsafe status', 'See past changes with: fwsafe log'],
    });
  }
  if (pending.versionId === null) throw busyError(pending.changeId);
  if (!acquireClaim(store.paths, pending.changeId, 'confirm')) throw busyError(pending.changeId);
  const current = readPending(store.paths);
  if (current === null || current.changeId !== pending.changeId || current.versionId === null) {
    releaseClaim(store.paths);
    throw noPendingChange();
  }
  // Past the deadline the promise is "restored", not "kept": roll back instead of confirming late.
  if (monoNowNs() >= BigInt(current.deadlineMonoNs)) {
    await rollbackClaimed(store, current, 'timeout');
    throw new FwsafeError(`Too late: the deadline of change ${current.changeId} passed; it has been rolled back.`, {
      code: 'DEADLINE_PASSED',
      exitCode: ExitCode.rolledBack,
      actions: ['Apply it again with a longer --timeout if it was right.'],
    });
  }
  const actor = options.actor ?? currentActor();
  // A format that persists through its backend (firewalld) does so on every confirmation; others write
  // the persistent file when asked. A failed persist never undoes the confirmation: the record says so.
  const runtime = runtimeOf(current.format);
  let persistError: string | null = null;
  const own = runtime.confirm ? await runtime.confirm(current) : null;
  if (own?.error) persistError = own.error;
  const persisted = own
    ? own.persistedTo === null ? null : { path: own.persistedTo, previousKeptAt: null }
    : current.persistPath
      ? await persistConfirmed({ path: current.persistPath, paths: store.paths, versionId: current.versionId, render: () => runtime.persistence.render(current.netns, current), verify: (text) => runtime.persistence.verify?.(text, current) }).catch((error: unknown) => {
          persistError = `not persisted to ${current.persistPath}: ${(error as Error).message}`;
          return null;
        })
      : null;
  const confirmedAt = new Date().toISOString();
  recordOutcome(store, current, { state: 'confirmed', confirmedAt, confirmedBy: actor, persistedTo: persisted?.path ?? null, error: persistError });
  // Remembered so status/log/detect notice a manager rewriting these tables later; a format persisting
  // through its own manager (firewalld) leaves its table to that manager.
  const touched = tableKeys(current);
  await recordConfirmedTables(store.paths, { netns: current.netns, version: current.versionId, confirmedAt, tables: own ? [] : touched, forget: own ? touched : [] }).catch(() => undefined);
  store.journal({
    event: 'change-confirmed',
    changeId: current.changeId,
    version: current.versionId,
    by: actor,
    ...(persisted ? { persistedTo: persisted.path, previousKeptAt: persisted.previousKeptAt } : {}),
  });
  releaseChange(store, current);
  return {
    changeId: current.changeId,
    versionId: current.versionId,
    confirmedAt,
    confirmedBy: actor,
    persistedTo: persisted?.path ?? null,
    previousPersistKeptAt: persisted?.previousKeptAt ?? null,
    persistError,
  };
}
