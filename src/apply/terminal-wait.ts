import { setTimeout as sleep } from 'node:timers/promises';
import { escapeControl } from '../cli/terminal-text.js';
import { HistoryStore } from '../history/store.js';
import { pendingExists } from '../pending/store.js';
import { secondsLeft } from '../pending/clock.js';
import type { PendingRecordT } from '../pending/schema.js';
import { confirmPending } from './confirm.js';
import { rollbackPending, type Reason } from './resolve.js';
import { readLiveCounters, selectWatched, type LiveCounter } from './live-counters.js';

export interface WaitOutcome {
  /** 'pending': the wait ended without an outcome on record (the change may still be live). */
  state: 'confirmed' | 'rolled-back' | 'failed' | 'pending';
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

function counterLine(c: LiveCounter, first: LiveCounter | undefined): string {
  const delta = c.packets - (first?.packets ?? c.packets);
  return escapeControl(`  ${(delta > 0 ? '+' + delta : '0').padStart(7)} pkts  ${c.table}/${c.chain}  ${c.text}`);
}

/**
 * The interactive wait on a TTY: countdown and live counters on stderr, confirmation by typing the
 * one-time code; Ctrl-C or a hang-up rolls back now. Resolves once the change is settled.
 */
export async function waitAtTerminal(options: { stateDir?: string; pending: PendingRecordT; changedRuleTexts: string[]; io: TerminalIo }): Promise<WaitOutcome> {
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

  const settleByRollback = (reason: Reason): Promise<WaitOutcome> => {
    settling ??= rollbackPending({ stateDir: options.stateDir, reason, changeId: pending.changeId }).then(
      () => outcomeFromHistory(),
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
    return { state, reason: change?.rollbackReason ?? null, overwritten: change?.overwritten ?? [], persistedTo: change?.persistedTo ?? null, ...(error ? { error } : {}) };
  };
  const draw = (): void => {
    const left = Math.max(0, Math.ceil(secondsLeft(pending.deadlineMonoNs)));
    const lines = [
      `Change ${pending.changeId} is live. It rolls back in ${left} s unless you confirm it.`,
      `Type the code  ${pending.code}  and press Enter to keep it. Ctrl-C rolls back now.`,
      ...(watched.length > 0 ? ['Traffic through the changed rules since the change:', ...watched.map((c) => counterLine(c, firstCounters.get(c.table + c.chain + c.text)))] : []),
      ...(message ? [escapeControl(message)] : []),
      `code> ${escapeControl(typed)}`,
    ];
    // Redraw in place: up to the first line we drew, clear below.
    write((drawnLines > 1 ? `\x1b[${drawnLines - 1}A` : '') + '\r\x1b[J' + lines.join('\n'));
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
          settling = confirmPending({ stateDir: options.stateDir, changeId: pending.changeId }).then(
            () => outcomeFromHistory(),
            (error: Error & { code?: string }) => {
              // Confirmed, but the persistent file failed; or too late: both are outcomes to report.
              if (error.code === 'PERSIST_FAILED' || error.code === 'DEADLINE_PASSED' || !pendingExists(store.paths)) return outcomeFromHistory(error.message);
              // Not confirmed (e.g. the state disk is full): say why and keep waiting; the deadline still holds.
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
          outcome = settled.state === 'pending' && !pendingExists(store.paths) ? outcomeFromHistory(settled.error) : settled;
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
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off('SIGHUP', onSighup);
    input.off('data', onData);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
  }
}
