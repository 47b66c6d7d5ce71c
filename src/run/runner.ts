import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { resolveBinary } from './binaries.js';
import { netnsPath } from './netns.js';
import { succeeded, type RunResult } from './result.js';
import { CommandFailedError } from '../errors.js';

export interface RunOptions {
  /** Run inside this network namespace (via nsenter --net). */
  netns?: string | null;
  /** Written to the program's stdin, then stdin is closed. */
  input?: string;
  timeoutMs?: number;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  env?: Record<string, string | undefined>;
  /** Largest stdout kept, in bytes (nft -j of 50k rules is ~18 MB). */
  maxBuffer?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_BUFFER = 512 * 1024 * 1024;
const debug = /(^|,)fwsafe(:|,|$)|^\*$/.test(process.env.DEBUG ?? '');

/**
 * The one place fwsafe starts an external program: argv arrays only, absolute binaries,
 * the namespace applied, a timeout, and one result shape for success and failure.
 */
export async function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const binary = resolveBinary(program);
  const netns = options.netns ?? null;
  const argv = netns ? ['--net=' + netnsPath(netns), '--', binary, ...args] : [...args];
  const command = netns ? resolveBinary('nsenter') : binary;
  if (debug) process.stderr.write(`[fwsafe +${Math.round(performance.now())} ms] run: ${[command, ...argv].join(' ')}\n`);

  const started = performance.now();
  const result = await new Promise<RunResult>((resolve) => {
    const child = spawn(command, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', ...options.env },
    });
    // Decoded as it arrives: a 20 MB listing is held once as text, not as chunks plus their concatenation.
    const decoder = new StringDecoder('utf8');
    const out: string[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let timedOut = false;
    const limit = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= limit) out.push(decoder.write(chunk));
      else child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    const finish = (exitCode: number | null, signal: string | null, spawnError?: Error): void => {
      clearTimeout(timer);
      resolve({
        command: program,
        args: [...args],
        netns,
        exitCode,
        signal,
        stdout: out.join('') + decoder.end(),
        stderr: spawnError ? spawnError.message : Buffer.concat(err).toString('utf8'),
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal));
    child.stdin.end(options.input ?? '');
  });

  if (debug) process.stderr.write(`[fwsafe +${Math.round(performance.now())} ms] exit ${result.exitCode ?? result.signal} in ${result.durationMs} ms: ${command}\n`);
  if (!options.allowFailure && !succeeded(result)) throw new CommandFailedError(result);
  return result;
}
