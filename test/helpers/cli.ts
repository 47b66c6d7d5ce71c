import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { removeStateDir } from './state-dir.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'run.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** `setpriv` arguments that run what follows as uid/gid 65534 (nobody), without supplementary groups. */
export const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * Runs the built CLI (bin/run.js) as a user would; parses stdout as JSON when it is JSON. `asNobody`: as
 * uid 65534 (through setpriv), the way a review pipeline or an ordinary user runs it.
 */
export function fwsafe(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; asNobody?: boolean } = {},
): CliResult {
  const argv = [process.execPath, BIN, ...args];
  const [cmd, ...rest] = options.asNobody ? ['setpriv', ...AS_NOBODY, ...argv] : argv;
  const r = spawnSync(cmd!, rest, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 60_000,
  });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // not JSON output
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** fwsafe() without blocking the event loop: other work (a second lab, a poll) goes on meanwhile. */
export function fwsafeAsync(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ status, stdout, stderr, json });
      },
    );
  });
}

/** A private, throwaway state directory per test. */
export function useStateDir(): { readonly path: string } {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-state-'));
  });
  afterEach(() => {
    // A watchdog standing down may still append its last log line: retry on ENOTEMPTY.
    if (dir) removeStateDir(dir);
  });
  return {
    get path(): string {
      return dir;
    },
  };
}
