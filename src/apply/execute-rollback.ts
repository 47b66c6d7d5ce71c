import { run } from '../run/runner.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import type { InverseObjectT, PendingRecordT } from '../pending/schema.js';
import type { RollbackMethodT } from '../history/schema.js';
import {
  describeDifferences,
  differingTables,
  objectLines,
  observeTables,
  observeTablesListed,
  type Fingerprint,
  type Observation,
} from './observe.js';
import { carryNftCounters, carryXtCounters, noListings, type LiveListings } from './carry-counters.js';
import { runInverse } from './run-inverse.js';
import { restoredWhole, type FallbackChoice } from './inverse-fallback.js';
import { describeOverwritten, overwrittenObjects, type OverwrittenObjectT } from './overwritten-objects.js';
import { runtimeOf } from '../formats/runtime.js';
import { runSteps } from '../formats/steps.js';

/** A listing of the touched tables made before the deadline: null (failed: list now), or not compared. */
export type EarlyListing = Promise<Observation | null | 'not-compared'>;

/**
 * At the deadline the restore does not wait for a listing: whatever comparison is finished is used, else the
 * tables are restored without one (a guard that took over in the last second had no time to list them).
 */
export function onTime(listing: EarlyListing | undefined): EarlyListing {
  const finished = (listing ?? new Promise<never>(() => undefined)).then((r) => r ?? 'not-compared');
  // setImmediate runs after every pending microtask: a listing already settled wins, one still running loses.
  return Promise.race([
    finished,
    new Promise<'not-compared'>((resolve) => setImmediate(() => resolve('not-compared'))),
  ]);
}

export interface RollbackExecution {
  /**
   * Touched tables (iptables: chains) someone else changed during the window and the rollback overwrote,
   * with what changed.
   */
  overwritten: string[];
  /**
   * What the rollback overwrote, object by object (nft): for each chain or set it restored whole (alone, or
   * with its table), the rules or elements others added that it removed and the ones they deleted that it put back.
   */
  overwrittenObjects: OverwrittenObjectT[];
  /** False when there was no time to compare before restoring: `overwritten` is then unknown, not empty. */
  compared: boolean;
  /** Touched tables someone else changed during the window whose changes survived (inverse rollback). */
  kept: string[];
  /** null: nothing was run (the previous rules were live already). */
  method: RollbackMethodT | null;
  /** Why the inverse was not used though it was there (nft refused it: an object it names changed). */
  conflict: string | null;
  error: string | null;
  /** What the record must say beyond success (firewalld: restarted in the window, or restored by the nft fallback). */
  note: string | null;
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
  const key = (t: { family: string; name: string }): string => `${t.family} ${t.name}`;
  const tables = splitTables(pending.expectedText);
  const blocks = new Map(tables.map((t) => [key(t), elementsOnePerLine(normaliseBlock(t.raw), 'fast')]));
  const out: Fingerprint = {};
  for (const t of pending.touchedTables) if (!t.iptablesNft) out[key(t)] = blocks.get(key(t)) ?? null;
  return out;
}

/** The touched tables now, listed through the tool that owns each one. */
export function observeTouched(pending: PendingRecordT): Promise<Fingerprint> {
  return observeTables(pending.netns, pending.touchedTables);
}

/** The same, with the listings (counters kept) a restore carries live counters from. */
export function observeTouchedListed(pending: PendingRecordT): Promise<Observation> {
  return observeTablesListed(pending.netns, pending.touchedTables);
}

/**
 * Runs the stored rollback: one `nft -f -` transaction for the nft tables, then `iptables-nft-restore -c`
 * for iptables-nft tables (their counters kept), then the format's further transactions as stored
 * (`rollback.steps`: an iptables change's restores, or those of a `rollback VERSION`). The touched nft
 * tables are observed first (already as before the change: nothing is rewritten) and after (still not
 * as before: said so, never glossed); an iptables change's chains are compared by its runtime.
 */
export async function executeRollback(
  pending: PendingRecordT,
  listedEarlier?: EarlyListing,
): Promise<RollbackExecution> {
  const started = performance.now();
  const netns = pending.netns;
  let compared = true;
  const errors: string[] = [];
  // A format with a rollback of its own (firewalld: inverse firewall-cmd operations, zones read back, nft
  // fallback when firewalld does not answer): its items, not nft tables, are what it restores and compares.
  const runtime = runtimeOf(pending.format);
  if (runtime.rollback) {
    const overwritten = await runtime.overwritten(pending).catch(() => [] as string[]);
    const done = await runtime.rollback(pending);
    const error = done.error ?? null;
    return {
      overwritten,
      overwrittenObjects: [],
      compared: true,
      kept: [],
      method: 'inverse',
      conflict: null,
      restored: true,
      error,
      note: done.note,
      durationMs: Math.round(performance.now() - started),
    };
  }
  let live: Fingerprint | null = null;
  // Counters of the moment for what is restored whole (carry-counters.ts); none when there was no time to list.
  let listings: LiveListings = noListings();
  try {
    const early = listedEarlier ? await listedEarlier : null;
    if (early === 'not-compared') compared = false;
    else {
      const observed = early ?? (await observeTouchedListed(pending));
      live = observed.fingerprint;
      listings = observed.listings;
    }
  } catch (error) {
    errors.push(`could not list the touched tables: ${(error as Error).message}`);
  }
  const steps = pending.rollback.steps ?? [];
  const nftLive = live !== null && pending.before !== undefined && differingTables(pending.before, live).length === 0;
  if (nftLive && steps.length === 0) {
    const error = errors.length > 0 ? errors.join('; ') : null;
    const durationMs = Math.round(performance.now() - started);
    return {
      overwritten: [],
      overwrittenObjects: [],
      compared: true,
      kept: [],
      method: null,
      conflict: null,
      restored: false,
      error,
      note: null,
      durationMs,
    };
  }
  // The inverse undoes only the change's own operations; if nft refuses it (another program deleted or
  // changed an object it names), nothing of it applied (one transaction): it runs again with the objects
  // nft named restored whole (a chain with its rules as before, a set with its elements), the rest still
  // inverted — and when that cannot be, the tables are restored whole.
  // Not compared (no time at the deadline): nothing says the previous rules are not live already (a guard
  // that restored them and died before recording), and an inverse run twice would add what it removed.
  // The whole-table restore is idempotent: it is used instead.
  const inverse = compared ? (pending.rollback.inverse ?? null) : null;
  let method: RollbackExecution['method'] = 'whole-table';
  let conflict: string | null = null;
  let fallback: FallbackChoice | null = null;
  if (nftLive) {
    // the nft tables are as before already: only the further steps run
  } else if (inverse?.nftScript.trim()) {
    const done = await runInverse(netns, inverse, pending.rollback.nftScript, (script) =>
      carryNftCounters(script, listings.nft),
    );
    if (done.ok) {
      // Every touched table restored whole after all: that is what the record says.
      const nftTables = pending.touchedTables.filter((t) => !t.iptablesNft);
      method = nftTables.every((t) => done.choice.wholeTables.has(`${t.family} ${t.name}`)) ? 'whole-table' : 'inverse';
      fallback = done.choice;
      const whole = restoredWhole(inverse, done.choice);
      if (whole.length > 0)
        conflict = `the inverse of the change could not run as it was (${done.firstRefusal}): restored whole instead: ${whole.join(', ')}`;
    } else
      conflict = `the inverse of the change could not run (${done.firstRefusal ?? 'refused'}): the tables were restored whole`;
  } else if (inverse !== null) {
    method = 'inverse';
  }
  if (!nftLive && method === 'whole-table' && pending.rollback.nftScript.trim()) {
    const input = carryNftCounters(pending.rollback.nftScript, listings.nft);
    const r = await run('nft', ['-f', '-'], { netns, input, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`nft -f rejected the rollback script: ${firstLines(r.stderr)}`);
  }
  for (const [program, text] of [
    ['iptables-nft-restore', pending.rollback.iptablesNft.v4],
    ['ip6tables-nft-restore', pending.rollback.iptablesNft.v6],
  ] as const) {
    if (!text || nftLive) continue;
    // `-w FILE` is misparsed ("wait seconds not numeric"): pass the seconds and feed stdin. -c: keep counters.
    const input = carryXtCounters(text, listings.xt);
    const r = await run(program, ['-w', '5', '-c'], { netns, input, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) errors.push(`${program} failed: ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
  // What someone else changed in the window, per table key, described (chains and rule counts): from the
  // listing made before the restore, described after it (the restore waits for nothing).
  const expected = expectedAfter(pending);
  const described = new Map<string, string>();
  for (const k of live === null || nftLive ? [] : differingTables(expected, live)) {
    described.set(k, describeDifferences({ [k]: expected[k] ?? null }, { [k]: live![k] ?? null })[0] ?? k);
  }
  // With the inverse, only tables it restored whole (it could not express their change, or a fallback) and
  // the objects a fallback restored whole overwrite others' work — and iptables-nft tables, which
  // iptables-nft-restore always restores whole.
  const whole = new Set((inverse?.wholeTables ?? []).map((w) => w.slice(0, w.indexOf(':'))));
  for (const t of fallback?.wholeTables ?? []) whole.add(t);
  for (const t of pending.touchedTables) if (t.iptablesNft) whole.add(`${t.family} ${t.name}`);
  const objectsWhole = wholeObjectsByTable(inverse?.objects ?? [], fallback, whole);
  const changed = [...described.keys()];
  const lost = method === 'inverse' ? changed.filter((k) => whole.has(k)) : changed;
  // Object by object (nft tables, compared first): what each chain or set restored whole had from others.
  const restoredMap = new Map<string, string[] | '*'>(objectsWhole);
  for (const k of lost)
    if (!pending.touchedTables.some((t) => t.iptablesNft && `${t.family} ${t.name}` === k)) restoredMap.set(k, '*');
  const objects =
    live !== null && pending.before !== undefined
      ? overwrittenObjects(restoredMap, pending.before, expected, live)
      : [];
  const objectLost = objects.filter((o) => !lost.includes(o.table)).map(describeOverwritten);
  // Others' changes kept: described without the objects restored whole.
  const keptText = new Map<string, string>();
  for (const k of changed) {
    if (lost.includes(k)) continue;
    const skip = objectsWhole.get(k);
    const text = skip
      ? describeDifferences({ [k]: expected[k] ?? null }, { [k]: live![k] ?? null }, (_t, o) => skip.includes(o))[0]
      : described.get(k);
    if (text !== undefined) keptText.set(k, text);
  }
  // Another format's chains (iptables): compared by its runtime before its restores run, which put the
  // touched chains back whole: what others changed in them is overwritten.
  const formatLost: string[] = [];
  // (Not compared — no time at the deadline: restored without listing them first.)
  if (compared && pending.format !== undefined && pending.format !== 'nft') {
    try {
      formatLost.push(...(await runtimeOf(pending.format).overwritten(pending)));
    } catch (error) {
      errors.push(`could not compare the touched chains: ${(error as Error).message}`);
    }
  }
  const failures = await runSteps(netns, steps, { stopOnError: false, timeoutMs: 30_000 });
  errors.push(...failures.map((f) => f.message));
  // Checked against the kernel: every touched table whose others' changes were not kept is as before the change.
  if (pending.before && errors.length === 0) {
    try {
      const now = await observeTouched(pending);
      const keptKeys = new Set(changed.filter((k) => !lost.includes(k)));
      // (Not compared: the inverse was not used and nothing is kept, so every touched table is checked.)
      const check = Object.fromEntries(Object.entries(pending.before).filter(([k]) => !keptKeys.has(k)));
      const still = describeDifferences(check, now);
      // In a table that kept others' changes, each object restored whole is as before, line for line.
      for (const [k, labels] of objectsWhole) {
        if (!keptKeys.has(k)) continue;
        const was = objectLines(pending.before[k] ?? '');
        const is = objectLines(now[k] ?? '');
        for (const o of labels)
          if ((was.get(o) ?? []).join('\n') !== (is.get(o) ?? []).join('\n')) still.push(`${k} ${o} (restored whole)`);
      }
      if (still.length > 0)
        errors.push(`after the rollback, tables differ from before the change: ${still.join('; ')}`);
    } catch (error) {
      errors.push(`could not check the result of the rollback: ${(error as Error).message}`);
    }
  }
  return {
    overwritten: [...lost.map((k) => described.get(k) ?? k), ...objectLost, ...formatLost],
    overwrittenObjects: objects,
    compared,
    kept: [...keptText.values()],
    method,
    conflict,
    restored: true,
    error: errors.length > 0 ? errors.join('; ') : null,
    note: null,
    durationMs: Math.round(performance.now() - started),
  };
}

function firstLines(stderr: string): string {
  return stderr.trim().split('\n').slice(0, 4).join(' | ');
}

/** The chains and sets a fallback restored whole, by table (`inet mine` → [`chain input`]), tables restored whole left out. */
function wholeObjectsByTable(
  objects: InverseObjectT[],
  fallback: FallbackChoice | null,
  wholeTables: Set<string>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of fallback?.wholeObjects ?? []) {
    const o = objects[i];
    if (!o || wholeTables.has(o.table)) continue;
    out.set(o.table, [...(out.get(o.table) ?? []), `${o.kind} ${o.name}`]);
  }
  return out;
}
