import { run } from '../run/runner.js';
import type { PendingRecordT } from '../pending/schema.js';
import { runtimeOf } from '../formats/runtime.js';
import { runSteps } from '../formats/steps.js';

export interface RollbackExecution {
  /** Touched objects that someone else changed during the window and the rollback overwrote. */
  overwritten: string[];
  /** Touched tables someone else changed during the window whose changes survived (inverse rollback). */
  kept: string[];
  method: 'inverse' | 'whole-table';
  /** Why the inverse was not used though it was there (nft refused it: an object it names changed). */
  conflict: string | null;
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
 * Runs the stored rollback: the inverse of an nft change first when there is one, then the stored
 * transactions in order (one per backend; the `nft` whole-table step only when the inverse did not
 * run). Nothing is computed here but a comparison.
 */
export async function executeRollback(pending: PendingRecordT, listedEarlier?: Promise<string[] | null>): Promise<RollbackExecution> {
  const started = performance.now();
  const netns = pending.netns;
  let overwritten: string[] = [];
  const errors: string[] = [];
  try {
    const early = listedEarlier ? await listedEarlier : null;
    overwritten = early ?? (await findOverwrittenOf(pending));
  } catch (error) {
    errors.push(`could not compare the touched tables: ${(error as Error).message}`);
  }
  // A format with a rollback of its own (firewalld: inverse firewall-cmd operations, read back, nft fallback).
  const runtime = runtimeOf(pending.format);
  if (runtime.rollback) {
    const done = await runtime.rollback(pending);
    if (done.error) errors.push(done.error);
    return { overwritten, kept: [], method: 'inverse', conflict: null, error: errors.length > 0 ? errors.join('; ') : null, note: done.note, durationMs: Math.round(performance.now() - started) };
  }
  // The inverse undoes only the change's own operations; if nft refuses it (another program deleted or
  // changed an object it names), nothing of it applied (one transaction) and the tables are restored whole.
  const inverse = pending.inverse ?? null;
  let method: RollbackExecution['method'] = 'whole-table';
  let conflict: string | null = null;
  if (inverse !== null && inverse.nftScript.trim()) {
    const r = await run('nft', ['-f', '-'], { netns, input: inverse.nftScript, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode === 0) method = 'inverse';
    else conflict = `the inverse of the change could not run (${firstError(r.stderr)}): the touched tables were restored whole`;
  } else if (inverse !== null) {
    method = 'inverse';
  }
  const steps = method === 'inverse' ? pending.rollback.filter((s) => s.program !== 'nft') : pending.rollback;
  const failures = await runSteps(netns, steps, { stopOnError: false, timeoutMs: 30_000 });
  errors.push(...failures.map((f) => f.message));
  // With the inverse, only tables it restored whole (it could not express their change) overwrite others' work.
  const whole = new Set((inverse?.wholeTables ?? []).map((w) => w.slice(0, w.indexOf(':'))));
  const lost = method === 'inverse' ? overwritten.filter((k) => whole.has(k)) : overwritten;
  return {
    overwritten: lost,
    kept: overwritten.filter((k) => !lost.includes(k)),
    method,
    conflict,
    error: errors.length > 0 ? errors.join('; ') : null,
    note: null,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The first `Error:` line nft printed, without the file prefix. */
function firstError(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('Error:')) ?? stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^.*?Error:\s*/, '').trim();
}
