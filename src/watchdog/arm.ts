import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { readyPath } from '../pending/store.js';
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

/**
 * Starts the watchdog detached (its own session: setsid, no terminal, immune to SIGHUP) and waits
 * until it has read the pending record and said so. Returns its pid.
 */
export async function armWatchdog(paths: StatePaths, changeId: string, timeoutMs = 10_000): Promise<number> {
  const script = watchdogScript();
  if (!existsSync(script)) throw new FwsafeError(`The watchdog is missing (${script}); run npm run build.`, { code: 'WATCHDOG_MISSING' });
  // A root process that lives for the whole window: only from a tree root alone can change, and with
  // an environment of our choosing (no NODE_OPTIONS, no LD_PRELOAD from the caller).
  await assertSafeInstall(packageRoot(dirname(script)));
  const child = spawn(process.execPath, [script, paths.root, changeId], { detached: true, stdio: 'ignore', env: childEnv() });
  const pid = child.pid;
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  child.on('error', () => {
    exited = -1;
  });
  child.unref();
  const ready = readyPath(paths, changeId);
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (existsSync(ready) && Number(readFileSync(ready, 'utf8').trim()) === pid) return pid;
    if (exited !== null || pid === undefined) break;
    await sleep(10);
  }
  if (pid !== undefined && exited === null) process.kill(pid, 'SIGKILL');
  throw new FwsafeError('The watchdog did not start; nothing was applied.', {
    code: 'WATCHDOG_FAILED',
    actions: [`Look at ${join(paths.root, 'watchdog.log')}, then try again.`],
  });
}

/** Where systemd is PID 1, a transient timer runs `fwsafe recover` after the deadline: a second line, never relied on. */
export async function armSystemdBackstop(options: { stateDir: string; netns: string | null; afterSeconds: number; bin: string }): Promise<boolean> {
  let pid1 = '';
  try {
    pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return false;
  }
  if (pid1 !== 'systemd' || !hasBinary('systemd-run')) return false;
  const r = await run(
    'systemd-run',
    ['--quiet', '--collect', `--on-active=${options.afterSeconds}s`, '--', process.execPath, options.bin, 'recover', '--state-dir', options.stateDir],
    { allowFailure: true, timeoutMs: 5_000 },
  );
  return r.exitCode === 0;
}
