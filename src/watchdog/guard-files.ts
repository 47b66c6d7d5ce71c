import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../state/paths.js';
import { readStateFile, removeFile, writeFileAtomic } from '../state/fs-safe.js';
import { processAlive, procStat } from './proc-stat.js';

/** Two guards hold every deadline; each watches the other and re-arms it. */
export const GUARD_SLOTS = [1, 2] as const;
export type GuardSlot = (typeof GUARD_SLOTS)[number];

export interface GuardRecord {
  slot: GuardSlot;
  pid: number;
  startTicks: number;
}

export const otherSlot = (slot: GuardSlot): GuardSlot => (slot === 1 ? 2 : 1);

/** Where a guard says it holds its slot: `guard-CHANGE-SLOT` in the state directory. */
export function guardPath(paths: StatePaths, changeId: string, slot: GuardSlot): string {
  return join(paths.root, `guard-${changeId}-${slot}`);
}

/** Written by the guard itself once it has read the pending record: "PID START_TICKS". */
export function writeGuardRecord(paths: StatePaths, changeId: string, slot: GuardSlot): GuardRecord {
  const self = procStat('self');
  const record: GuardRecord = { slot, pid: process.pid, startTicks: self?.startTicks ?? 0 };
  writeFileAtomic(guardPath(paths, changeId, slot), `${record.pid} ${record.startTicks}\n`);
  return record;
}

/** The slot's holder as written, or null when absent or unreadable (a torn write counts as absent). */
export function readGuardRecord(paths: StatePaths, changeId: string, slot: GuardSlot): GuardRecord | null {
  let text: string | null;
  try {
    text = readStateFile(guardPath(paths, changeId, slot));
  } catch {
    return null;
  }
  const m = text === null ? null : /^(\d+) (\d+)\n?$/.exec(text);
  return m ? { slot, pid: Number(m[1]), startTicks: Number(m[2]) } : null;
}

export interface GuardState {
  slot: GuardSlot;
  pid: number | null;
  alive: boolean;
}

/** Each slot: who holds it and whether that exact process (pid and start time) still runs. */
export function guardStates(paths: StatePaths, changeId: string): GuardState[] {
  return GUARD_SLOTS.map((slot) => {
    const r = readGuardRecord(paths, changeId, slot);
    return { slot, pid: r?.pid ?? null, alive: r !== null && processAlive(r.pid, r.startTicks) };
  });
}

/** Removes the guard files of a settled change (and of older changes left by a crash). */
export function removeGuardFiles(paths: StatePaths, changeId: string): void {
  for (const slot of GUARD_SLOTS) removeFile(guardPath(paths, changeId, slot));
  try {
    for (const name of readdirSync(paths.root)) {
      if (/^guard-c-[0-9a-z-]+-[12]$/.test(name)) removeFile(join(paths.root, name));
    }
  } catch {
    // the directory is gone: nothing left to remove
  }
}
