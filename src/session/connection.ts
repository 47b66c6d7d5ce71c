import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { procCmdline, procStat, TICKS_PER_SECOND, type ProcStat } from '../watchdog/proc-stat.js';
import type { ConnectionT } from './schema.js';

// OpenSSH ≤ 9.7 runs sessions as "sshd"; 9.8+ as "sshd-session" (and "sshd-auth" before login).
const SSHD_COMMS = new Set(['sshd', 'sshd-session', 'sshd-auth']);
const MAX_DEPTH = 64;

/** The ancestors of a process, itself first, up to (not including) pid 1. */
function ancestry(pid: number | 'self'): ProcStat[] {
  const chain: ProcStat[] = [];
  let s = procStat(pid);
  while (s !== null && s.pid > 1 && chain.length < MAX_DEPTH) {
    chain.push(s);
    s = procStat(s.ppid);
  }
  return chain;
}

/**
 * The per-connection sshd process among the ancestors: in the run of sshd processes nearest to us,
 * the one just below the listener (the listener's title says "[listener]", or it runs as "sshd -D");
 * a run without a listener (inetd or socket-activated `sshd -i`) is its own top.
 */
export function sshdConnectionProcess(chain: ProcStat[]): ProcStat | null {
  const first = chain.findIndex((s) => SSHD_COMMS.has(s.comm));
  if (first === -1) return null;
  let top = first;
  while (top + 1 < chain.length && SSHD_COMMS.has(chain[top + 1]!.comm)) top += 1;
  const cmd = procCmdline(chain[top]!.pid);
  const isListener = cmd.includes('[listener]') || !cmd.startsWith('sshd:');
  return isListener ? (top > first ? chain[top - 1]! : null) : chain[top]!;
}

/** "pts/3", "tty1", "ttyS0" … from the kernel's tty_nr; null without a controlling terminal. */
export function ttyName(ttyNr: number): string | null {
  if (ttyNr === 0) return null;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  return `tty(${major}:${minor})`;
}

/** The peer address of the process's TCP socket, from its network namespace's socket table. */
export function socketPeer(pid: number): string | null {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => x !== undefined),
    );
  } catch {
    return null;
  }
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode; st 01 = ESTABLISHED
      if (f.length > 9 && f[3] === '01' && inodes.has(f[9]!)) return decodeAddress(f[2]!);
    }
  }
  return null;
}

/** /proc/net/tcp's "0100007F:1F90" (host-order 32-bit words) as "127.0.0.1 8080". */
export function decodeAddress(hex: string): string {
  const [addr = '', port = '0'] = hex.split(':');
  const words = addr.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  let ip: string;
  if (bytes.length === 4) ip = bytes.join('.');
  else if (bytes.slice(0, 12).every((b, i) => b === (i < 10 ? 0 : 255))) ip = bytes.slice(12).join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    ip = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  return `${ip} ${parseInt(port, 16)}`;
}

function wallClockOf(startTicks: number): string | null {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return btime ? new Date((Number(btime) + startTicks / TICKS_PER_SECOND) * 1000).toISOString() : null;
  } catch {
    return null;
  }
}

/** Where this process (or `pid`) runs from, as the kernel shows it. */
export function currentConnection(pid: number | 'self' = 'self'): ConnectionT {
  const chain = ancestry(pid);
  const tty = ttyName(chain[0]?.ttyNr ?? 0);
  const sshd = sshdConnectionProcess(chain);
  if (sshd !== null) {
    const startedAt = wallClockOf(sshd.startTicks);
    const client = socketPeer(sshd.pid);
    return { kind: 'ssh', sshdPid: sshd.pid, startTicks: sshd.startTicks, startedAt, client, tty };
  }
  const kind = tty === null ? 'none' : tty.startsWith('pts/') ? 'pty' : 'console';
  return { kind, sshdPid: null, startTicks: null, startedAt: null, client: null, tty };
}

/** One line for people: "SSH from 198.51.100.1 port 40022 (opened 12:00:01Z, sshd pid 812)". */
export function describeConnection(c: ConnectionT): string {
  if (c.kind === 'ssh') {
    const peer = c.client?.replace(' ', ' port ') ?? 'an unknown peer';
    return `SSH connection from ${peer} (opened ${c.startedAt ?? '?'}, sshd pid ${c.sshdPid})`;
  }
  if (c.kind === 'console') return `console ${c.tty}`;
  if (c.kind === 'pty') return `terminal ${c.tty} not traced to an SSH connection`;
  return 'no terminal and no SSH connection';
}
