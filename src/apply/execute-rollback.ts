import { run } from '../run/runner.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import type { PendingRecordT } from '../pending/schema.js';
import { describeDifferences, differingTables, observeTables, type Fingerprint } from './observe.js';

export interface RollbackExecution {
  /** Touched tables someone else changed during the window, with what changed (the rollback overwrote it). */
  overwritten: string[];
  error: string | null;
  /** False when the previous rules were found live already: nothing was rewritten. */
  restored: boolean;
  durationMs: number;
}

/**
 * What the change left in each touched table: as the kernel listed it right after the change when that
 * was recorded; before that, the plan's result for nft tables (iptables-nft tables cannot be compared
 * through nft text: they are left out rather than reported as changed by others).
 */
export function expectedAfter(pending: PendingRecordT): Fingerprint {
  if (pending.after) return pending.after;
  const blocks = new Map(splitTables(pending.expectedText).map((t) => [`${t.family} ${t.name}`, elementsOnePerLine(normaliseBlock(t.raw))]));
  const out: Fingerprint = {};
  for (const t of pending.touchedTables) if (!t.iptablesNft) out[`${t.family} ${t.name}`] = blocks.get(`${t.family} ${t.name}`) ?? null;
  return out;
}

/** The touched tables now, listed through the tool that owns each one. */
export function observeTouched(pending: PendingRecordT): Promise<Fingerprint> {
  return observeTables(pending.netns, pending.touchedTables);
}

/**
 * Runs the stored rollback: one `nft -f -` transaction for the nft tables, then `iptables-nft-restore -c`
 * for iptables-nft tables (their counters kept). The touched tables are observed first (already as
 * before the change: nothing is rewritten) and after (still not as before: said so, never glossed).
 */
export async function executeRollback(pending: PendingRecordT, listedEarlier?: Promise<Fingerprint | null>): Promise<RollbackExecution> {
  const started = performance.now();
  const netns = pending.netns;
  const errors: string[] = [];
  let live: Fingerprint | null = null;
  try {
    live = (listedEarlier ? await listedEarlier : null) ?? (await observeTouched(pending));
  } catch (error) {
    errors.push(`could not list the touched tables: ${(error as Error).message}`);
  }
  const done = (overwritten: string[], restored: boolean): RollbackExecution => ({
    overwritten,
    restored,
    error: errors.length > 0 ? errors.join('; ') : null,
    durationMs: Math.round(performance.now() - started),
  });
  if (live !== null && pending.before && differingTables(pending.before, live).length === 0) return done([], false);
  const overwritten = live === null ? [] : describeDifferences(expectedAfter(pending), live);
  if (pending.rollback.nftScript.trim()) {
    const r = await run('nft', ['-f', '-'], { netns, input: pending.rollback.nftScript, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`nft -f rejected the rollback script: ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
  for (const [program, text] of [
    ['iptables-nft-restore', pending.rollback.iptablesNft.v4],
    ['ip6tables-nft-restore', pending.rollback.iptablesNft.v6],
  ] as const) {
    if (!text) continue;
    // `-w FILE` is misparsed ("wait seconds not numeric"): pass the seconds and feed stdin. -c: keep counters.
    const r = await run(program, ['-w', '5', '-c'], { netns, input: text, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`${program} failed: ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
  if (pending.before && errors.length === 0) {
    try {
      const now = await observeTouched(pending);
      const still = describeDifferences(pending.before, now);
      if (still.length > 0) errors.push(`after the rollback these tables still differ from before the change: ${still.join('; ')}`);
    } catch (error) {
      errors.push(`could not check the result of the rollback: ${(error as Error).message}`);
    }
  }
  return done(overwritten, true);
}
