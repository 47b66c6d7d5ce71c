import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { GUARD_SLOTS, readGuardRecord, type GuardSlot } from './guard-files.js';
import type { StatePaths } from '../state/paths.js';
import { run } from '../run/runner.js';
import { hasBinary } from '../run/binaries.js';
import { FwsafeError } from '../errors.js';
import { childEnv } from '../run/env.js';
import { assertSafeInstall, packageRoot } from '../cli/install-check.js';

/** The compiled watchdog entry point (dist/src/watchdog/main.js), beside this file. */
export function watchdogScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'main.js');
}

export interface SpawnedGuard {
  slot: GuardSlot;
  pid: number;
  /** Null while it runs; its exit code (or -1) once it exited. */
  exited: () => number | null;
}

/** Guards run as root for the whole window: only from a tree root alone can change (docs/security.md). */
async function assertGuardInstall(): Promise<void> {
  await assertSafeInstall(packageRoot(dirname(watchdogScript())));
}

/** spawnGuard after the install check: for a replacement started by a guard or a command. */
export async function checkedSpawnGuard(paths: StatePaths, changeId: string, slot: GuardSlot): Promise<SpawnedGuard> {
  await assertGuardInstall();
  return spawnGuard(paths, changeId, slot);
}

/** Starts one guard detached: its own session (setsid), no terminal, immune to the hang-up of ours. */
export function spawnGuard(paths: StatePaths, changeId: string, slot: GuardSlot): SpawnedGuard {
  const script = watchdogScript();
  if (!existsSync(script)) {
    throw new FwsafeError(`The watchdog is missing (${script}); run npm run build.`, { code: 'WATCHDOG_MISSING' });
  }
  // A root process that lives for the whole window, with an environment of our choosing (no NODE_OPTIONS,
  // no LD_PRELOAD from the caller). The tree it runs from is checked by checkedSpawnGuard / armGuards.
  const argv = [script, paths.root, changeId, String(slot)];
  const child = spawn(process.execPath, argv, { detached: true, stdio: 'ignore', env: childEnv() });
  let exited: number | null = child.pid === undefined ? -1 : null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  child.on('error', () => {
    exited = -1;
  });
  child.unref();
  return { slot, pid: child.pid ?? 0, exited: () => exited };
}

/** Waits until the guard has read the pending record and written its slot file; false if it died or took too long. */
export async function guardReady(
  paths: StatePaths,
  changeId: string,
  guard: SpawnedGuard,
  timeoutMs: number,
): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (readGuardRecord(paths, changeId, guard.slot)?.pid === guard.pid) return true;
    if (guard.exited() !== null) return false;
    await sleep(10);
  }
  return false;
}

/**
 * Starts both guards of a change without waiting for them. Under the lock, before the pending record
 * exists, they wait for it (src/watchdog/loop.ts): their start-up overlaps the plan.
 */
export async function startGuards(paths: StatePaths, changeId: string): Promise<SpawnedGuard[]> {
  await assertGuardInstall();
  return GUARD_SLOTS.map((slot) => spawnGuard(paths, changeId, slot));
}

/**
 * Arms both guards of a change (started together, each in its own session) and waits until both have
 * read the pending record and said so. Returns their pids by slot; on failure kills what it started.
 */
export async function armGuards(
  paths: StatePaths,
  changeId: string,
  timeoutMs = 10_000,
  started: SpawnedGuard[] | null = null,
): Promise<number[]> {
  const guards = started ?? (await startGuards(paths, changeId));
  const ready = await Promise.all(guards.map((g) => guardReady(paths, changeId, g, timeoutMs)));
  if (ready.every(Boolean)) return guards.map((g) => g.pid);
  for (const g of guards) if (g.pid > 0 && g.exited() === null) process.kill(g.pid, 'SIGKILL');
  throw new FwsafeError('The watchdog did not start; nothing was applied.', {
    code: 'WATCHDOG_FAILED',
    actions: [`Look at ${join(paths.root, 'watchdog.log')}, then try again.`],
  });
}

/** Where systemd is PID 1, a transient timer runs `fwsafe recover` after the deadline: a second line, never relied on. */
export async function armSystemdBackstop(options: {
  stateDir: string;
  netns: string | null;
  afterSeconds: number;
  bin: string;
}): Promise<boolean> {
  let pid1 = '';
  try {
    pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return false;
  }
  if (pid1 !== 'systemd' || !hasBinary('systemd-run')) return false;
  const r = await run(
    'systemd-run',
    [
      '--quiet',
      '--collect',
      `--on-active=${options.afterSeconds}s`,
      '--',
      process.execPath,
      options.bin,
      'recover',
      '--state-dir',
      options.stateDir,
    ],
    { allowFailure: true, timeoutMs: 5_000 },
  );
  return r.exitCode === 0;
}
