import { readFileSync, statSync } from 'node:fs';

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

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot; null when it is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Who holds a lock or claim: a pid alone can be recycled (or cycled to on purpose), pid + start time cannot. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? '0' };
}

/** Is this very process (same pid, same start time) still running? */
export function processAlive(holder: ProcessIdentity): boolean {
  return pidAlive(holder.pid) && processStartTime(holder.pid) === holder.startTime;
}

/**
 * Is this pid our watchdog: alive, root's (no other user can start one), and its command line names
 * the watchdog? Guards against pid reuse, including a pid cycled to on purpose by another user.
 */
export function watchdogAlive(pid: number | null): boolean {
  if (pid === null || !pidAlive(pid)) return false;
  try {
    if (statSync(`/proc/${pid}`).uid !== process.geteuid?.()) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('watchdog');
  } catch {
    return true;
  }
}
