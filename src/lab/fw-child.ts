import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { run } from '../run/runner.js';
import { remoteCommand } from './remote-command.js';

/** The package root (dist/src/lab → ../../..), where bin/ and rulesets/ live. */
export const PACKAGE_ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const RULESETS = join(PACKAGE_ROOT, 'rulesets');
const BIN = join(PACKAGE_ROOT, 'bin', 'run.js');

export interface FwChildResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** stdout parsed as JSON, when it is JSON. */
  json: unknown;
}

export type FwChild = (args: string[]) => Promise<FwChildResult>;

// The demo runs the real CLI as a child, exactly as a newcomer would type it (no colour: it is narrated).
export function fwChild(stateDir: string): FwChild {
  return async (args) => {
    const r = await run(process.execPath, [BIN, '--state-dir', stateDir, ...args], {
      allowFailure: true,
      env: { NO_COLOR: '1' },
      timeoutMs: 60_000,
    });
    let json: unknown = null;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      // human output
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, json };
  };
}

/** The CLI itself as one quoted remote command, for the far end of an SSH session (src/lab/remote-command.ts). */
export function fwRemote(stateDir: string, args: string[]): string {
  return remoteCommand([process.execPath, BIN, '--state-dir', stateDir, ...args]);
}
