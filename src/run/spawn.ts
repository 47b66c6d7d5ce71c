import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { resolveBinary } from './binaries.js';
import { childEnv } from './env.js';
import { netnsPath } from './netns.js';

// Long-lived programs (a lab's sshd, an interactive ssh) also start here, beside run(): argv only,
// absolute binaries, the namespace applied the same way.
function argvFor(program: string, args: readonly string[], netns: string | null | undefined): [string, string[]] {
  const binary = resolveBinary(program);
  return netns ? [resolveBinary('nsenter'), [`--net=${netnsPath(netns)}`, '--', binary, ...args]] : [binary, [...args]];
}

/** Starts a daemon in its own session, output to a log file; returns its pid (not waited for). */
export function spawnDetached(
  program: string,
  args: readonly string[],
  options: { netns?: string | null; logFile: string },
): number {
  const [command, argv] = argvFor(program, args, options.netns);
  const fd = openSync(options.logFile, 'a', 0o600);
  try {
    const child = spawn(command, argv, { detached: true, stdio: ['ignore', fd, fd], env: childEnv() });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${program}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Runs a program attached to this terminal (stdio inherited) and resolves with its exit code. */
export function runInteractive(
  program: string,
  args: readonly string[],
  options: { netns?: string | null } = {},
): Promise<number> {
  const [command, argv] = argvFor(program, args, options.netns);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: 'inherit', env: childEnv() });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Starts a program with pipes, for a conversation (the demo's SSH session). */
export function spawnPiped(
  program: string,
  args: readonly string[],
  options: { netns?: string | null } = {},
): ChildProcess {
  const [command, argv] = argvFor(program, args, options.netns);
  return spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
}

/**
 * Runs a short program to completion synchronously (start-up checks, before anything async exists):
 * argv only, absolute binary, known environment, a timeout.
 */
export function runSync(
  program: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): { exitCode: number | null; stdout: string; stderr: string } {
  const r = spawnSync(resolveBinary(program), [...args], {
    encoding: 'utf8',
    env: childEnv(),
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { exitCode: r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
}

/**
 * Starts a daemon as a direct child (not detached, no shell), output to a log file, with `env` added:
 * the caller stops it by its pid. A scratch firewalld and its private D-Bus start here.
 */
export function spawnChild(
  program: string,
  args: readonly string[],
  options: { logFile: string; env?: Record<string, string> },
): ChildProcess {
  const [command, argv] = argvFor(program, args, null);
  const fd = openSync(options.logFile, 'a', 0o600);
  try {
    return spawn(command, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, LC_ALL: 'C', ...options.env } });
  } finally {
    closeSync(fd);
  }
}
