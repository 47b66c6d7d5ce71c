import type { StatePaths } from '../state/paths.js';
import { HistoryStore } from '../history/store.js';
import { readPending } from '../pending/store.js';
import { secondsLeft } from '../pending/clock.js';
import { staleReason } from '../apply/status.js';
import { guardStates } from './guard-files.js';
import { checkedSpawnGuard, guardReady } from './arm.js';

// A replacement started this close to the deadline would compete with the rollback for the CPU.
const MIN_SECONDS_LEFT = 1;

/**
 * What every command says about the pending change's guards, as lines for stderr: a guard found gone
 * is re-armed here (the pair is whole again); a change nothing guards any more is announced as
 * UNGUARDED, for `fwsafe recover`. One stat when nothing is pending.
 */
export async function guardNotices(paths: StatePaths, options: { warnUnguarded: boolean }): Promise<string[]> {
  const pending = readPending(paths);
  if (pending === null) return [];
  const guards = guardStates(paths, pending.changeId);
  const stale = staleReason(pending, paths, guards);
  if (stale !== null) {
    return options.warnUnguarded
      ? [
          `warning: change ${pending.changeId} is pending but UNGUARDED (${stale}): no guard is alive; ` +
            'run `fwsafe recover` (it checks what is live and restores the previous rules if needed).',
        ]
      : [];
  }
  // Still being armed by the applying process: its guards are starting.
  if (pending.watchdogPid === null || secondsLeft(pending.deadlineMonoNs) < MIN_SECONDS_LEFT) return [];
  const missing = guards.filter((x) => !x.alive);
  const spawned = await Promise.all(missing.map((g) => checkedSpawnGuard(paths, pending.changeId, g.slot)));
  const ready = await Promise.all(spawned.map((sp) => guardReady(paths, pending.changeId, sp, 3_000)));
  const id = pending.changeId;
  const lines = missing.map((g, i) =>
    ready[i]
      ? `note: guard ${g.slot} of change ${id} (pid ${g.pid ?? '-'}) was gone; re-armed it (pid ${spawned[i]!.pid}).`
      : `warning: guard ${g.slot} of change ${id} is gone and could not be re-armed; see ${paths.root}/watchdog.log.`,
  );
  const store = new HistoryStore(paths.root);
  missing.forEach((g, i) => {
    const pid = spawned[i]!.pid;
    if (ready[i]) store.journal({ event: 'guard-rearmed', changeId: id, slot: g.slot, pid, by: process.pid });
  });
  return lines;
}
