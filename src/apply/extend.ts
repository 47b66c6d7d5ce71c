import { HistoryStore } from '../history/store.js';
import { readPending, releaseOwnClaim, writePending } from '../pending/store.js';
import { monoNowNs } from '../pending/clock.js';
import { acquireClaim } from './claim.js';
import { busyError, noPendingChange } from './resolve.js';
import { FwsafeError, ExitCode, UserError } from '../errors.js';
import type { ExtendResultT } from '../contracts/extend.js';

/** Sets the deadline to now + seconds, as re-issuing JunOS's `commit confirmed` does. */
export function extendPending(options: { stateDir?: string | null; seconds: number }): ExtendResultT {
  if (!Number.isInteger(options.seconds) || options.seconds < 1 || options.seconds > 86_400) {
    throw new UserError('SECONDS must be a whole number from 1 to 86400.', { code: 'BAD_SECONDS' });
  }
  const store = new HistoryStore(options.stateDir);
  const pending = readPending(store.paths);
  if (pending === null) throw noPendingChange();
  if (!acquireClaim(store.paths, pending.changeId, 'extend')) throw busyError(pending.changeId);
  try {
    const current = readPending(store.paths);
    if (current === null || current.changeId !== pending.changeId) throw noPendingChange();
    const now = monoNowNs();
    if (now >= BigInt(current.deadlineMonoNs)) {
      throw new FwsafeError(
        `Too late: the deadline of change ${current.changeId} has passed; it is being rolled back.`,
        {
          code: 'DEADLINE_PASSED',
          exitCode: ExitCode.rolledBack,
        },
      );
    }
    const deadline = new Date(Date.now() + options.seconds * 1000).toISOString();
    writePending(store.paths, {
      ...current,
      deadline,
      deadlineMonoNs: String(now + BigInt(options.seconds) * 1_000_000_000n),
    });
    store.journal({
      event: 'change-extended',
      changeId: current.changeId,
      version: current.versionId ?? undefined,
      seconds: options.seconds,
      deadline,
    });
    return { changeId: current.changeId, deadline, secondsLeft: options.seconds };
  } finally {
    releaseOwnClaim(store.paths);
  }
}
