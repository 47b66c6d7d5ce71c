import type { PendingRecordT } from '../pending/schema.js';
import { runtimeOf } from '../formats/runtime.js';
import { runSteps } from '../formats/steps.js';

export interface RollbackExecution {
  /** Touched tables that someone else changed during the window (the rollback overwrote their change). */
  overwritten: string[];
  error: string | null;
  /** What the record must say beyond success (firewalld: restarted in the window, or restored by the nft fallback). */
  note: string | null;
  durationMs: number;
}

/** Touched objects that differ now from what the change left, through the change's format. */
export function findOverwrittenOf(pending: PendingRecordT): Promise<string[]> {
  return runtimeOf(pending.format).overwritten(pending);
}

/**
 * Runs the stored rollback as it is: its transactions in order (one per backend; for nft one `nft -f -`,
 * then iptables-nft-restore for iptables-nft tables). Nothing is computed here but a comparison.
 */
export async function executeRollback(pending: PendingRecordT, listedEarlier?: Promise<string[] | null>): Promise<RollbackExecution> {
  const started = performance.now();
  let overwritten: string[] = [];
  const errors: string[] = [];
  try {
    const early = listedEarlier ? await listedEarlier : null;
    overwritten = early ?? (await findOverwrittenOf(pending));
  } catch (error) {
    errors.push(`could not compare the touched tables: ${(error as Error).message}`);
  }
  const runtime = runtimeOf(pending.format);
  let note: string | null = null;
  if (runtime.rollback) {
    const done = await runtime.rollback(pending);
    if (done.error) errors.push(done.error);
    note = done.note;
  } else {
    const failures = await runSteps(pending.netns, pending.rollback, { stopOnError: false, timeoutMs: 30_000 });
    errors.push(...failures.map((f) => f.message));
  }
  return { overwritten, error: errors.length > 0 ? errors.join('; ') : null, note, durationMs: Math.round(performance.now() - started) };
}
