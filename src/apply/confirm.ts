import { HistoryStore } from '../history/store.js';
import { currentActor } from '../history/actor.js';
import type { ActorT, VersionRecordT } from '../history/schema.js';
import { readPending, releaseOwnClaim } from '../pending/store.js';
import type { PendingRecordT } from '../pending/schema.js';
import { monoNowNs } from '../pending/clock.js';
import { acquireClaim } from './claim.js';
import { recordOutcome, releaseChange } from './outcome.js';
import { busyError, noPendingChange } from './resolve-errors.js';
import { FwsafeError, ExitCode, toFwsafeError } from '../errors.js';
import { currentConnection } from '../session/connection.js';
import type { ConfirmViaT } from '../session/schema.js';
import { judgeConfirmation } from './confirm-proof.js';
import type { ConfirmResultT } from '../contracts/confirm.js';

/** The newest version that records a change (with `changeId`, that one); null when none. */
export function lastChange(store: HistoryStore, changeId?: string): VersionRecordT | null {
  const ids = store.ids();
  for (let i = ids.length - 1, seen = 0; i >= 0 && seen < 200; i -= 1, seen += 1) {
    const record = store.get(ids[i]!);
    if (record.change !== null && (changeId === undefined || record.change.changeId === changeId)) return record;
  }
  return null;
}

type Confirmed = Pick<ConfirmResultT, 'changeId' | 'versionId' | 'confirmedAt' | 'confirmedBy' | 'via'>;

function confirmedOf(record: VersionRecordT): Confirmed {
  const c = record.change!;
  const via = c.confirmedVia ?? null;
  const confirmedAt = c.confirmedAt ?? '';
  return { changeId: c.changeId, versionId: record.id, confirmedAt, confirmedBy: c.confirmedBy!, via };
}

export function tooLate(record: VersionRecordT): FwsafeError {
  const c = record.change!;
  const when = `${c.rolledBackAt ?? '?'} (${c.rollbackReason ?? 'unknown'})`;
  return new FwsafeError(`Too late: change ${c.changeId} was rolled back at ${when}; the previous rules are live.`, {
    code: 'DEADLINE_PASSED',
    exitCode: ExitCode.rolledBack,
    actions: ['Apply it again (with a longer --timeout if you need more time); see it with: fwsafe log'],
    details: { changeId: c.changeId, version: record.id, rolledBackAt: c.rolledBackAt, reason: c.rollbackReason },
  });
}

/** Nothing pending (any more): say what became of the change instead of "no change is pending". */
async function settled(store: HistoryStore, changeId: string | undefined): Promise<ConfirmResultT> {
  const record = lastChange(store, changeId);
  const c = record?.change ?? null;
  if (record === null || c === null) {
    if (changeId === undefined) throw noPendingChange();
    throw new FwsafeError(`Change ${changeId} is not the pending one and is not in the history.`, {
      code: 'CHANGE_NOT_PENDING',
      exitCode: ExitCode.notFound,
      actions: ['See the pending change with: fwsafe status', 'See past changes with: fwsafe log'],
    });
  }
  if (c.state === 'rolled-back') throw tooLate(record);
  if (c.state === 'confirmed' && changeId !== undefined && c.persistError && c.persistPath) {
    // Confirmed earlier, but its persistent file could not be written: this retries just that.
    return persistAndRecord(store, record, c.persistPath);
  }
  if (c.state === 'confirmed' && changeId !== undefined) {
    return { ...confirmedOf(record), persistedTo: c.persistedTo, previousPersistKeptAt: null };
  }
  const what =
    c.state === 'confirmed'
      ? `was confirmed at ${c.confirmedAt}`
      : c.state === 'failed'
        ? `failed: ${c.error ?? 'unknown'}`
        : 'is settled';
  throw new FwsafeError(`No change is pending. The last one, ${c.changeId} (version ${record.id}), ${what}.`, {
    code: 'NO_PENDING_CHANGE',
    exitCode: ExitCode.notFound,
    actions: ['See what happened with: fwsafe log'],
  });
}

async function persistAndRecord(store: HistoryStore, record: VersionRecordT, path: string): Promise<ConfirmResultT> {
  const c = record.change!;
  const base = confirmedOf(record);
  let persisted;
  try {
    // Loaded only when asked for: confirm races the deadline, and start-up time counts.
    const { persistConfirmed } = await import('./persist.js');
    const { loadRuntime } = await import('../formats/load-runtime.js');
    // The change's format renders and verifies the file (nft: /etc/nftables.conf's content; iptables: its
    // variant's save of the family), from the version record alone, so a retry writes the same kind of file.
    const persistence = (await loadRuntime(c.format)).persistence;
    const left = { expectedText: c.expectedText ?? '' };
    // One file, or one per part of the change (an iptables v4 + v6 change writes rules.v4 and rules.v6).
    const files = persistence.split?.(path, left) ?? [{ path, change: left }];
    const written = [];
    for (const f of files)
      written.push(
        await persistConfirmed({
          path: f.path,
          paths: store.paths,
          versionId: record.id,
          render: () => persistence.render(record.netns, f.change),
          verify: (text) => persistence.verify?.(text, f.change),
        }),
      );
    persisted = {
      path: written.map((w) => w.path).join(', '),
      previousKeptAt:
        written
          .map((w) => w.previousKeptAt)
          .filter((p) => p !== null)
          .join(', ') || null,
    };
  } catch (error) {
    const why = toFwsafeError(error).message;
    try {
      store.update(record.id, (r) => ({ ...r, change: { ...r.change!, persistError: `${path}: ${why}` } }));
    } catch {
      // the state disk may be the reason: the message below still tells the truth
    }
    throw new FwsafeError(
      `Change ${c.changeId} is confirmed and kept (version ${record.id}), but writing ${path} failed: ${why}. ` +
        'The rules are live now; they would not survive a reboot.',
      {
        code: 'PERSIST_FAILED',
        exitCode: ExitCode.error,
        actions: [`Fix the cause, then write the file again with: fwsafe confirm ${c.changeId}`],
        details: { changeId: c.changeId, version: record.id, path },
      },
    );
  }
  try {
    const persistedTo = persisted.path;
    store.update(record.id, (r) => ({ ...r, change: { ...r.change!, persistedTo, persistError: null } }));
    store.journal({
      event: 'change-persisted',
      changeId: c.changeId,
      version: record.id,
      persistedTo: persisted.path,
      previousKeptAt: persisted.previousKeptAt,
    });
  } catch {
    // the file is written; the record of it is a nicety the next `log` can do without
  }
  return { ...base, persistedTo: persisted.path, previousPersistKeptAt: persisted.previousKeptAt };
}

/** Records the confirmation under the claim; the watchdog stands down once the pending record is gone. */
function recordConfirmed(
  store: HistoryStore,
  current: PendingRecordT & { versionId: number },
  actor: ActorT,
  via: ConfirmViaT,
): VersionRecordT {
  const confirmedAt = new Date().toISOString();
  let record: VersionRecordT;
  try {
    record = recordOutcome(store, current, {
      state: 'confirmed',
      confirmedAt,
      confirmedBy: actor,
      confirmedVia: via,
      persistedTo: null,
      ...(current.persistPath ? { persistPath: current.persistPath } : {}),
      // What a format other than nft renders its persistent file from, also on a retry (confirm ID).
      ...(current.persistPath && current.format && current.format !== 'nft'
        ? { format: current.format, expectedText: current.expectedText }
        : {}),
    });
  } catch (error) {
    const fw = toFwsafeError(error);
    throw new FwsafeError(
      `Change ${current.changeId} is NOT confirmed: ${fw.message} ` +
        `Its watchdog still rolls it back at ${current.deadline} unless you fix this and confirm again.`,
      {
        code: fw.code,
        exitCode: fw.exitCode,
        actions: [
          ...fw.actions,
          `Then: fwsafe confirm ${current.changeId}`,
          'Or first give yourself time: fwsafe extend N',
        ],
        details: fw.details,
        cause: error,
      },
    );
  }
  try {
    releaseChange(store, current);
  } catch (error) {
    // The record says confirmed: the watchdog reads it and stands down (see rollbackPending).
    const fw = toFwsafeError(error);
    const what = `Change ${current.changeId} is confirmed (version ${record.id})`;
    throw new FwsafeError(`${what}, but clearing its pending record failed: ${fw.message}`, {
      code: fw.code,
      exitCode: fw.exitCode,
      actions: [...fw.actions, 'Then clean up with: fwsafe recover'],
      cause: error,
    });
  }
  try {
    store.journal({
      event: 'change-confirmed',
      changeId: current.changeId,
      version: current.versionId,
      by: actor,
      via: via.method,
      newConnectionProven: via.newConnectionProven,
    });
  } catch {
    // the version record says confirmed; the journal line is secondary (a full disk must not undo a confirm)
  }
  return record;
}

/** Keeps the pending change: the watchdog stands down, the version is marked confirmed, persisted only then. */
export async function confirmPending(options: {
  stateDir?: string | null;
  changeId?: string;
  actor?: ActorT;
  /** When the claim was taken before this module loaded (early-claim.ts): the moment the deadline is compared with. */
  claimedAtNs?: bigint | null;
  /** The admin keeps it from a session that cannot prove a new connection (recorded). */
  fromThisSession?: boolean;
  /** 'terminal-code': typed at the applying terminal's prompt. */
  via?: 'terminal-code';
}): Promise<ConfirmResultT> {
  const store = new HistoryStore(options.stateDir);
  try {
    return await confirmClaimed(store, options);
  } finally {
    // An early claim taken for a change this call then did not confirm is released too.
    if (options.claimedAtNs) releaseOwnClaim(store.paths);
  }
}

async function confirmClaimed(
  store: HistoryStore,
  options: {
    changeId?: string;
    actor?: ActorT;
    claimedAtNs?: bigint | null;
    fromThisSession?: boolean;
    via?: 'terminal-code';
  },
): Promise<ConfirmResultT> {
  const pending = readPending(store.paths);
  const notPending = pending === null || (options.changeId !== undefined && options.changeId !== pending.changeId);
  if (notPending) return settled(store, options.changeId);
  if (pending.versionId === null) throw busyError(pending.changeId);
  // Refused before anything is recorded (on every path, the fast one too): the change stays pending, its guards
  // keep the deadline. An early claim taken for it is released by confirmPending.
  const via = judgeConfirmation(pending, {
    confirming: currentConnection(),
    fromThisSession: options.fromThisSession ?? false,
    terminalCode: options.via === 'terminal-code',
  });
  if (!acquireClaim(store.paths, pending.changeId, 'confirm')) throw busyError(pending.changeId);
  let record: VersionRecordT | null = null;
  let current: PendingRecordT | null = null;
  try {
    current = readPending(store.paths);
    if (current !== null && current.changeId === pending.changeId && current.versionId !== null) {
      // Past the deadline the promise is "restored", not "kept": roll back instead of confirming late.
      if ((options.claimedAtNs ?? monoNowNs()) >= BigInt(current.deadlineMonoNs)) {
        const { rollbackClaimed } = await import('./resolve.js');
        const r = await rollbackClaimed(store, current, 'timeout');
        throw tooLate(store.get(r.versionId));
      }
      const actor = options.actor ?? currentActor();
      record = recordConfirmed(store, { ...current, versionId: current.versionId }, actor, via);
    }
  } finally {
    releaseOwnClaim(store.paths);
  }
  if (record === null || current === null) return settled(store, options.changeId ?? pending.changeId);
  const { loadRuntime } = await import('../formats/load-runtime.js');
  const { recordConfirmedTables } = await import('../history/confirmed-tables.js');
  const runtime = await loadRuntime(current.format);
  const touched = current.touchedTables.map((t) => `${t.family} ${t.name}`);
  const confirmedAt = record.change?.confirmedAt ?? new Date().toISOString();
  if (runtime.confirm) {
    // A format persisting through its own manager (firewalld: the operations with --permanent, read back),
    // on every confirmation; the change stays confirmed if that fails, and the record says so.
    const own = await runtime.confirm(current);
    try {
      store.update(record.id, (r) => ({
        ...r,
        change: { ...r.change!, persistedTo: own.persistedTo, ...(own.error ? { persistError: own.error } : {}) },
      }));
    } catch {
      // the result below still says it
    }
    await recordConfirmedTables(store.paths, {
      netns: current.netns,
      version: record.id,
      confirmedAt,
      tables: [],
      forget: touched,
    }).catch(() => undefined);
    return {
      ...confirmedOf(record),
      persistedTo: own.persistedTo,
      previousPersistKeptAt: null,
      ...(own.error ? { persistError: own.error } : {}),
    };
  }
  // Remembered so status/log/detect notice a manager rewriting these tables later.
  await recordConfirmedTables(store.paths, {
    netns: current.netns,
    version: record.id,
    confirmedAt,
    tables: touched,
    forget: [],
  }).catch(() => undefined);
  if (current.persistPath) return persistAndRecord(store, record, current.persistPath);
  return { ...confirmedOf(record), persistedTo: null, previousPersistKeptAt: null };
}
