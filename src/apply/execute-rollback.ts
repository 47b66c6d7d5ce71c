import { run } from '../run/runner.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import type { PendingRecordT, PendingTableT } from '../pending/schema.js';

/** A listing made before the deadline: the overwritten tables, null (failed: list now), or not compared. */
export type EarlyListing = Promise<string[] | null | 'not-compared'>;

/**
 * At the deadline the restore does not wait for a listing: whatever comparison is finished is used, else the
 * tables are restored without one (a guard that took over in the last second had no time to list them).
 */
export function onTime(listing: EarlyListing | undefined): EarlyListing {
  const finished = (listing ?? new Promise<never>(() => undefined)).then((r) => r ?? 'not-compared');
  // setImmediate runs after every pending microtask: a listing already settled wins, one still running loses.
  return Promise.race([finished, new Promise<'not-compared'>((resolve) => setImmediate(() => resolve('not-compared')))]);
}

export interface RollbackExecution {
  /** Touched tables that someone else changed during the window and the rollback overwrote. */
  overwritten: string[];
  /** False when there was no time to compare before restoring: `overwritten` is then unknown, not empty. */
  compared: boolean;
  /** Touched tables someone else changed during the window whose changes survived (inverse rollback). */
  kept: string[];
  method: 'inverse' | 'whole-table';
  /** Why the inverse was not used though it was there (nft refused it: an object it names changed). */
  conflict: string | null;
  error: string | null;
  durationMs: number;
}

function key(t: { family: string; name: string }): string {
  return `${t.family} ${t.name}`;
}

/** Normalised block per table key, from nft text (a listing, or the plan's touchedText). */
export function blocksByTable(text: string): Map<string, string> {
  return new Map(splitTables(text).map((t) => [key(t), normaliseBlock(t.raw)]));
}

/** Which touched tables differ now from what the change left: someone else changed them in the window. */
export async function findOverwritten(netns: string | null, tables: PendingTableT[], expectedText: string): Promise<string[]> {
  const expected = blocksByTable(expectedText);
  const live = await Promise.all(
    tables.map((t) => run('nft', ['-a', 'list', 'table', t.family, t.name], { netns, allowFailure: true, timeoutMs: 5_000, stdoutToFile: true })),
  );
  const out: string[] = [];
  tables.forEach((t, i) => {
    const r = live[i]!;
    const now = r.exitCode === 0 ? blocksByTable(r.stdout).get(key(t)) ?? null : null;
    if ((now ?? null) !== (expected.get(key(t)) ?? null)) out.push(key(t));
  });
  return out;
}

/**
 * Runs the stored rollback: one `nft -f -` transaction for the nft tables, then
 * `iptables-nft-restore -w 5` for iptables-nft tables. Nothing is computed here but a comparison.
 */
export async function executeRollback(pending: PendingRecordT, listedEarlier?: EarlyListing): Promise<RollbackExecution> {
  const started = performance.now();
  const netns = pending.netns;
  let overwritten: string[] = [];
  let compared = true;
  const errors: string[] = [];
  try {
    const early = listedEarlier ? await listedEarlier : null;
    if (early === 'not-compared') compared = false;
    else overwritten = early ?? (await findOverwritten(netns, pending.touchedTables, pending.expectedText));
  } catch (error) {
    errors.push(`could not compare the touched tables: ${(error as Error).message}`);
  }
  // The inverse undoes only the change's own operations; if nft refuses it (another program deleted or
  // changed an object it names), nothing of it applied (one transaction) and the tables are restored whole.
  const inverse = pending.rollback.inverse ?? null;
  let method: RollbackExecution['method'] = 'whole-table';
  let conflict: string | null = null;
  if (inverse !== null && inverse.nftScript.trim()) {
    const r = await run('nft', ['-f', '-'], { netns, input: inverse.nftScript, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode === 0) method = 'inverse';
    else conflict = `the inverse of the change could not run (${firstError(r.stderr)}): the touched tables were restored whole`;
  } else if (inverse !== null) {
    method = 'inverse';
  }
  if (method === 'whole-table' && pending.rollback.nftScript.trim()) {
    const r = await run('nft', ['-f', '-'], { netns, input: pending.rollback.nftScript, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`nft -f rejected the rollback script: ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
  for (const [program, text] of [
    ['iptables-nft-restore', pending.rollback.iptablesNft.v4],
    ['ip6tables-nft-restore', pending.rollback.iptablesNft.v6],
  ] as const) {
    if (!text) continue;
    // `-w FILE` is misparsed ("wait seconds not numeric"): pass the seconds and feed stdin.
    const r = await run(program, ['-w', '5'], { netns, input: text, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`${program} failed: ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
  // With the inverse, only tables it restored whole (it could not express their change) overwrite others' work.
  const whole = new Set((inverse?.wholeTables ?? []).map((w) => w.slice(0, w.indexOf(':'))));
  const changed = overwritten;
  const lost = method === 'inverse' ? changed.filter((k) => whole.has(k)) : changed;
  return {
    overwritten: lost,
    compared,
    kept: changed.filter((k) => !lost.includes(k)),
    method,
    conflict,
    error: errors.length > 0 ? errors.join('; ') : null,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The first `Error:` line nft printed, without the file prefix. */
function firstError(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('Error:')) ?? stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^.*?Error:\s*/, '').trim();
}
