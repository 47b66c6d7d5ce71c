import { HistoryStore } from '../history/store.js';
import { currentActor } from '../history/actor.js';
import type { ActorT } from '../history/schema.js';
import { readPending, releaseClaim } from '../pending/store.js';
import { monoNowNs } from '../pending/clock.js';
import { acquireClaim } from './claim.js';
import { recordOutcome, releaseChange } from './outcome.js';
import { persistConfirmed } from './persist.js';
import { busyError, noPendingChange, rollbackClaimed } from './resolve.js';
import { FwsafeError, ExitCode } from '../errors.js';
import { currentConnection } from '../session/connection.js';
import type { ConfirmViaT } from '../session/schema.js';
import { judgeConfirmation } from './confirm-proof.js';

export interface ConfirmResult {
  changeId: string;
  versionId: number;
  confirmedAt: string;
  confirmedBy: ActorT;
  persistedTo: string | null;
  previousPersistKeptAt: string | null;
  /** How it was confirmed: which connection, and whether that proved new connections get in. */
  via: ConfirmViaT;
}

/** Keeps the pending change: the watchdog stands down, the version is marked confirmed, persisted only now. */
export async function confirmPending(options: {
  stateDir?: string | null;
  changeId?: string;
  actor?: ActorT;
  /** The admin keeps it from a session that cannot prove a new connection (recorded). */
  fromThisSession?: boolean;
  /** 'terminal-code': typed at the applying terminal's prompt. */
  via?: 'terminal-code';
}): Promise<ConfirmResult> {
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
  // Refused before anything is claimed or changed: the change stays pending, its guards keep the deadline.
  const via = judgeConfirmation(pending, { confirming: currentConnection(), fromThisSession: options.fromThisSession ?? false, terminalCode: options.via === 'terminal-code' });
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
  const persisted = current.persistPath
    ? await persistConfirmed({ netns: current.netns, path: current.persistPath, paths: store.paths, versionId: current.versionId })
    : null;
  const confirmedAt = new Date().toISOString();
  recordOutcome(store, current, { state: 'confirmed', confirmedAt, confirmedBy: actor, confirmedVia: via, persistedTo: persisted?.path ?? null });
  store.journal({
    event: 'change-confirmed',
    changeId: current.changeId,
    version: current.versionId,
    by: actor,
    via: via.method,
    newConnectionProven: via.newConnectionProven,
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
    via,
  };
}
