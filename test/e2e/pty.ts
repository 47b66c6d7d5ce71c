// A small harness to drive the built CLI through a real pseudo-terminal (node-pty).
import { createRequire } from 'node:module';
import type { IPty } from 'node-pty';
import { BIN } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface PtySession {
  readonly pid: number;
  /** Everything printed so far, ANSI stripped. */
  output(): string;
  send(text: string): void;
  /** Waits until the output (since `from`) matches; on timeout fails with what it saw. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number, from?: number): Promise<string>;
  waitForExit(timeoutMs?: number): Promise<{ exitCode: number; signal?: number }>;
  /** Closes the terminal (the master side): the CLI gets SIGHUP as on an SSH disconnect. */
  hangUp(): void;
  kill(signal?: string): void;
}

const live = new Set<IPty>();

/** Starts `fwsafe ARGS` on a fresh pty (80x30). */
export function spawnCli(args: string[], env: Record<string, string> = {}): PtySession {
  const pty = require('node-pty') as typeof import('node-pty');
  const p = pty.spawn(process.execPath, [BIN, ...args], {
    name: 'xterm',
    cols: 100,
    rows: 30,
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1', ...env },
  });
  live.add(p);
  let raw = '';
  let exit: { exitCode: number; signal?: number } | null = null;
  const exitWaiters: ((e: { exitCode: number; signal?: number }) => void)[] = [];
  p.onData((d) => {
    raw += d;
  });
  p.onExit((e) => {
    exit = e;
    live.delete(p);
    for (const w of exitWaiters) w(e);
  });
  const session: PtySession = {
    pid: p.pid,
    output: () => stripAnsi(raw),
    send: (text) => p.write(text),
    async waitForOutput(pattern, timeoutMs = 10_000, from = 0) {
      const end = Date.now() + timeoutMs;
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      while (Date.now() < end) {
        const seen = stripAnsi(raw).slice(from);
        if (test(seen)) return seen;
        if (exit) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `Timed out waiting for ${String(pattern)}${exit ? ` (process exited ${JSON.stringify(exit)})` : ''}. Output so far:\n${stripAnsi(raw).slice(from)}`,
      );
    },
    waitForExit(timeoutMs = 15_000) {
      if (exit) return Promise.resolve(exit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`CLI did not exit in ${timeoutMs} ms. Output:\n${stripAnsi(raw)}`)),
          timeoutMs,
        );
        exitWaiters.push((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
    },
    hangUp() {
      // Closing the master side is what sshd does when the connection drops: the CLI gets SIGHUP.
      p.destroy();
    },
    kill(signal = 'SIGTERM') {
      try {
        process.kill(p.pid, signal);
      } catch {
        // gone
      }
    },
  };
  return session;
}

/** Teardown: kill every CLI this harness started that is still running (by pid). */
export function killAllPtys(): void {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  live.clear();
}
