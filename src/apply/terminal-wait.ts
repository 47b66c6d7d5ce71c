import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeControl } from '../cli/terminal-text.js';
import { HistoryStore } from '../history/store.js';
import { pendingExists, readPending } from '../pending/store.js';
import { secondsLeft } from '../pending/clock.js';
import { guardStates } from '../watchdog/guard-files.js';
import { observeTouchedListed, onTime, type EarlyListing } from './execute-rollback.js';
import type { Observation } from './observe.js';
import type { PendingRecordT } from '../pending/schema.js';
import type { ChangeStateT } from '../history/schema.js';
import { confirmPending } from './confirm.js';
import { rollbackPending, type Reason } from './resolve.js';
import { readLiveCounters, selectWatched, type LiveCounter } from './live-counters.js';

export interface WaitOutcome {
  /** 'pending': the wait ended without an outcome on record (the change may still be live). */
  state: ChangeStateT;
  reason: Reason | null;
  overwritten: string[];
  persistedTo: string | null;
  /** What went wrong on the way (a confirm that could not be recorded or persisted). */
  error?: string;
}

export interface TerminalIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

// Keystrokes arriving this soon after the prompt opens were typed ahead: discarded, never a confirmation.
const TYPE_AHEAD_MS = 250;
// How often this process looks whether any guard is left (it holds the deadline itself when none is).
const GUARD_CHECK_MS = 50;

/**
 * The waiting CLI is the third guard: while either detached guard lives it only watches; when none is
 * left it rolls the change back at the deadline itself (the deadline re-read, as `extend` may move it).
 * Returns a function that stops it.
 */
function holdDeadlineWhenAlone(options: {
  stateDir?: string;
  changeId: string;
  onAlone: () => void;
  rollBack: (listedEarlier: EarlyListing) => void;
}): () => void {
  const store = new HistoryStore(options.stateDir);
  let pending: PendingRecordT | null = null;
  let readAt = '';
  let alone = false;
  let listed: Promise<Observation | null> | undefined;
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (fired) return;
    if (guardStates(store.paths, options.changeId).some((g) => g.alive)) {
      alone = false;
      return;
    }
    if (!alone) {
      alone = true;
      options.onAlone();
    }
    try {
      const { mtimeMs, size } = statSync(store.paths.pending);
      if (`${mtimeMs}:${size}` !== readAt) {
        pending = readPending(store.paths);
        readAt = `${mtimeMs}:${size}`;
      }
    } catch {
      return; // settled (or unreadable): nothing left to hold
    }
    if (pending === null || pending.changeId !== options.changeId) return;
    const left = secondsLeft(pending.deadlineMonoNs);
    if (left <= 1 && listed === undefined) {
      const toList = pending;
      listed = observeTouchedListed(toList).catch(() => null);
    }
    if (left <= 0) {
      fired = true;
      options.rollBack(onTime(listed));
    } else if (left * 1000 < GUARD_CHECK_MS) {
      clearTimeout(timer);
      timer = setTimeout(tick, Math.max(1, left * 1000));
    }
  };
  const interval = setInterval(tick, GUARD_CHECK_MS);
  return () => {
    clearInterval(interval);
    clearTimeout(timer);
  };
}

function counterLine(c: LiveCounter, first: LiveCounter | undefined): string {
  const delta = c.packets - (first?.packets ?? c.packets);
  return escapeControl(`  ${(delta > 0 ? `+${delta}` : '0').padStart(7)} pkts  ${c.table}/${c.chain}  ${c.text}`);
}

/**
 * The interactive wait on a TTY: countdown and live counters on stderr, confirmation by typing the
 * one-time code; Ctrl-C or a hang-up rolls back now. Resolves once the change is settled.
 */
export async function waitAtTerminal(options: {
  stateDir?: string;
  pending: PendingRecordT;
  changedRuleTexts: string[];
  io: TerminalIo;
}): Promise<WaitOutcome> {
  const { pending, io } = options;
  const store = new HistoryStore(options.stateDir);
  const write = (text: string): void => {
    try {
      io.output.write(text);
    } catch {
      // the terminal is gone (hang-up): keep going, the outcome still gets recorded
    }
  };
  io.output.on('error', () => undefined);
  let typed = '';
  let message = '';
  let drawnLines = 0;
  let settling: Promise<WaitOutcome> | null = null;
  let firstCounters = new Map<string, LiveCounter>();
  let watched: LiveCounter[] = [];
  const openedAt = Date.now();

  const settleByRollback = (reason: Reason, listedEarlier?: EarlyListing): Promise<WaitOutcome> => {
    const changeId = pending.changeId;
    settling ??= rollbackPending({ stateDir: options.stateDir, reason, changeId, listedEarlier }).then(
      // Busy: a guard (or a confirm) is resolving it right now; report what it settles to.
      (r) => (r.status === 'busy' ? settledOutcome() : outcomeFromHistory()),
      (error: Error) => outcomeFromHistory(`rollback failed: ${error.message}`),
    );
    return settling;
  };
  // What the record says, never a guess: a change still marked pending is reported as pending.
  const outcomeFromHistory = (error?: string): WaitOutcome => {
    let change = null;
    try {
      change = pending.versionId === null ? null : store.get(pending.versionId).change;
    } catch (e) {
      error = [error, (e as Error).message].filter(Boolean).join('; ');
    }
    const state = change?.state ?? 'pending';
    if (state === 'failed' && change?.error) error = [error, change.error].filter(Boolean).join('; ');
    return {
      state,
      reason: change?.rollbackReason ?? null,
      overwritten: change?.overwritten ?? [],
      persistedTo: change?.persistedTo ?? null,
      ...(error ? { error } : {}),
    };
  };
  const settledOutcome = async (): Promise<WaitOutcome> => {
    for (let i = 0; i < 300 && pendingExists(store.paths); i += 1) await sleep(50);
    return outcomeFromHistory();
  };
  const draw = (): void => {
    const left = Math.max(0, Math.ceil(secondsLeft(pending.deadlineMonoNs)));
    const lines = [
      `Change ${pending.changeId} is live. It rolls back in ${left} s unless you confirm it.`,
      `Type the code  ${pending.code}  and press Enter to keep it. Ctrl-C rolls back now.`,
      ...(watched.length > 0
        ? [
            'Traffic through the changed rules since the change:',
            ...watched.map((c) => counterLine(c, firstCounters.get(c.table + c.chain + c.text))),
          ]
        : []),
      ...(message ? [escapeControl(message)] : []),
      `code> ${escapeControl(typed)}`,
    ];
    // Redraw in place: up to the first line we drew, clear below.
    write(`${drawnLines > 1 ? `\x1b[${drawnLines - 1}A` : ''}\r\x1b[J${lines.join('\n')}`);
    drawnLines = lines.length;
  };
  const refreshCounters = async (): Promise<void> => {
    try {
      const now = await readLiveCounters(pending.netns, pending.touchedTables);
      watched = selectWatched(now, options.changedRuleTexts);
      if (firstCounters.size === 0) firstCounters = new Map(now.map((c) => [c.table + c.chain + c.text, c]));
    } catch {
      // counters are an aid, never a reason to stop waiting
    }
  };

  const stopHolding = holdDeadlineWhenAlone({
    stateDir: options.stateDir,
    changeId: pending.changeId,
    onAlone: () => {
      message = 'Every guard process is gone: this fwsafe holds the deadline itself now. Keep this terminal open.';
      draw();
    },
    rollBack: (listed) => void settleByRollback('timeout', listed),
  });
  const onSigint = (): void => void settleByRollback('interrupt');
  const onSighup = (): void => void settleByRollback('hangup');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  process.on('SIGHUP', onSighup);
  const onData = (chunk: Buffer): void => {
    if (settling) return;
    const text = chunk.toString('utf8');
    // Ctrl-C always counts, even typed ahead: it can only ever mean "roll back".
    if (text.includes('\x03')) {
      void settleByRollback('interrupt');
      return;
    }
    if (Date.now() - openedAt < TYPE_AHEAD_MS) return;
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        if (typed.trim() === pending.code) {
          const byCode = { stateDir: options.stateDir, changeId: pending.changeId, via: 'terminal-code' as const };
          const unproven =
            '\nKept by the code typed in this session: that does not prove a NEW connection gets in. Open one now.';
          settling = confirmPending(byCode).then(
            () => {
              write(unproven);
              return outcomeFromHistory();
            },
            (error: Error & { code?: string }) => {
              // Confirmed, but the persistent file failed; or too late: both are outcomes to report.
              if (error.code === 'PERSIST_FAILED') write(unproven);
              const settledNow = error.code === 'PERSIST_FAILED' || error.code === 'DEADLINE_PASSED';
              if (settledNow || !pendingExists(store.paths)) return outcomeFromHistory(error.message);
              // Not confirmed (the state disk is full, or a guard is rolling it back right now): say why and keep
              // waiting for the record; the deadline still holds.
              message = `Confirm failed: ${error.message}`;
              settling = null;
              draw();
              return outcomeFromHistory();
            },
          );
          return;
        }
        message = typed.trim() ? `Wrong code "${typed.trim()}": try again.` : message;
        typed = '';
      } else if (ch === '\x7f' || ch === '\b') typed = typed.slice(0, -1);
      else if (ch >= ' ' && typed.length < 32) typed += ch;
    }
    draw();
  };

  const input = io.input;
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onData);
  input.on('error', () => void settleByRollback('hangup'));
  input.on('end', () => void settleByRollback('hangup'));
  input.resume();
  try {
    await refreshCounters();
    draw();
    let lastRefresh = Date.now();
    let outcome: WaitOutcome;
    for (;;) {
      // Assigned from event handlers: TypeScript cannot see that, hence the cast.
      const inFlight = settling as Promise<WaitOutcome> | null;
      if (inFlight) {
        const settled = await inFlight;
        // Settled, or something to report: done. Still pending (a confirm that failed, a rollback that
        // found another process resolving it): keep waiting for the record to say how it ended.
        if (settled.state !== 'pending' || settled.error !== undefined || !pendingExists(store.paths)) {
          outcome =
            settled.state === 'pending' && !pendingExists(store.paths) ? outcomeFromHistory(settled.error) : settled;
          break;
        }
        settling = null;
      }
      // Settled elsewhere: confirmed from another session, or the watchdog rolled it back.
      if (!pendingExists(store.paths)) {
        outcome = outcomeFromHistory();
        break;
      }
      if (Date.now() - lastRefresh >= 1000) {
        lastRefresh = Date.now();
        await refreshCounters();
        draw();
      }
      await sleep(100);
    }
    write('\n');
    return outcome;
  } finally {
    stopHolding();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off('SIGHUP', onSighup);
    input.off('data', onData);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
  }
}
