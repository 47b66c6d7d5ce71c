import { readFileSync } from 'node:fs';

/** CLOCK_MONOTONIC in ns: the same clock for every process on the host, never jumps. */
export function monoNowNs(): bigint {
  return process.hrtime.bigint();
}

export function secondsLeft(deadlineMonoNs: string, now = monoNowNs()): number {
  return Number(BigInt(deadlineMonoNs) - now) / 1e9;
}

/** The kernel's id of this boot; '' when unreadable. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Is a process with this pid alive (signal 0, and not a zombie nobody reaped)? */
export function pidAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // "pid (comm) S ..." — a zombie (Z) has exited already.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return true;
  }
}

/** Is this pid our watchdog (alive, and its command line names the watchdog)? Guards against pid reuse. */
export function watchdogAlive(pid: number | null): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('watchdog');
  } catch {
    return true;
  }
}
