import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

/** Pids of the guards (watchdog processes) started with this state directory as their argument. */
export function guardsOf(dir: string): number[] {
  const root = resolve(dir);
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.some((a) => a.endsWith('watchdog/main.js')) && argv.includes(root)) pids.push(Number(name));
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/**
 * Removes a test's state directory once the guards it started are gone: a guard settling a change may
 * still append its last log line, so removing under it fails with ENOTEMPTY. Gives standing-down guards
 * `graceMs` to exit (an observable event), then kills what is left (processes this test started; a guard
 * re-arms its peer, so it rescans until none is seen), then removes the directory.
 */
export function removeStateDir(dir: string, graceMs = 3_000): void {
  if (!dir) return;
  const grace = Date.now() + graceMs;
  while (guardsOf(dir).filter(alive).length > 0 && Date.now() < grace) spawnSync('sleep', ['0.1']);
  const hardStop = Date.now() + 15_000;
  for (let pids = guardsOf(dir).filter(alive); pids.length > 0 && Date.now() < hardStop; ) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('sleep', ['0.1']);
    pids = guardsOf(dir).filter(alive);
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
