import { readFileSync } from 'node:fs';

/** What the kernel says about one process (/proc/PID/stat), enough to tell it apart from a reused pid. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Controlling terminal (major << 8 | minor, with the kernel's split encoding); 0 when none. */
  ttyNr: number;
  /** Start time in clock ticks since boot (USER_HZ, 100 on Linux): unique per pid for the boot. */
  startTicks: number;
}

/** USER_HZ: the unit of /proc's start times; fixed at 100 on every Linux architecture fwsafe runs on. */
export const TICKS_PER_SECOND = 100;

export function procStat(pid: number | 'self'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields after it start at the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    ttyNr: Number(rest[4]),
    startTicks: Number(rest[19]),
  };
}

/** Is this exact process (pid and start time) alive, and not a zombie nobody reaped? */
export function processAlive(pid: number, startTicks: number): boolean {
  const s = procStat(pid);
  return s !== null && s.startTicks === startTicks && s.state !== 'Z' && s.state !== 'X';
}

/** Now, in the same unit and clock as process start times (CLOCK_BOOTTIME, via /proc/uptime). */
export function bootTicksNow(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Math.floor(uptime * TICKS_PER_SECOND);
}

/** The process's command line as one string (NULs as spaces); '' when unreadable. */
export function procCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
