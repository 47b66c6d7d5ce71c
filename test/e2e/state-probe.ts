// Helpers the apply/watchdog tests share: kernel state polling, pending watchdog clean-up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveRuleset } from '../helpers/netns.js';

/** Polls the kernel until `predicate(listing)` holds; returns the wall-clock ms when it did, or null. */
export async function waitForRuleset(
  ns: string,
  predicate: (text: string) => boolean,
  timeoutMs: number,
  everyMs = 20,
): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (predicate(liveRuleset(ns))) return Date.now();
    await sleep(everyMs);
  }
  return null;
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (predicate()) return true;
    await sleep(everyMs);
  }
  return predicate();
}

/** The watchdog pid of the pending change in a state dir, if any. */
export function pendingWatchdog(stateDir: string): number | null {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'pending.json'), 'utf8')).watchdogPid ?? null;
  } catch {
    return null;
  }
}

export function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pids the guard files of a state dir name, by slot (1, 2); null where a slot has no file. */
export function guardPids(stateDir: string): Record<1 | 2, number | null> {
  const out: Record<1 | 2, number | null> = { 1: null, 2: null };
  let names: string[] = [];
  try {
    names = readdirSync(stateDir);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = /^guard-c-[0-9a-z-]+-([12])$/.exec(name);
    if (!m) continue;
    try {
      out[Number(m[1]) as 1 | 2] = Number(readFileSync(join(stateDir, name), 'utf8').split(' ')[0]);
    } catch {
      // The guard settled and removed its file between the listing and the read: that slot has no guard.
    }
  }
  return out;
}

/** Kills the guards this test's change started (by pid), so nothing outlives the test. */
export function killWatchdog(stateDir: string): void {
  const g = guardPids(stateDir);
  for (const pid of [pendingWatchdog(stateDir), g[1], g[2]]) {
    if (pid && alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

export function versionRecord(stateDir: string, id: number): any {
  return JSON.parse(readFileSync(join(stateDir, 'versions', `${String(id).padStart(6, '0')}.json`), 'utf8'));
}

export function journal(stateDir: string): any[] {
  return readFileSync(join(stateDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
