import type { RunResult } from './run/result.js';

/** Stable exit codes; documented in docs/exit-codes.md. */
export const ExitCode = {
  ok: 0,
  error: 1,
  changes: 2,
  rolledBack: 3,
  kernelRejected: 4,
  blocked: 5,
  pending: 6,
  needsRoot: 7,
  drift: 8,
  badInput: 9,
  stateCorrupt: 10,
  notFound: 11,
  planTampered: 12,
  stateUnusable: 13,
  unsafeInstall: 14,
  elsewhere: 15,
  /** firewalld is not running or does not answer on its bus (issue 14). */
  firewalldUnavailable: 19,
  sessionPredates: 17,
  cancelled: 130,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

export interface ErrorOptions {
  code: string;
  actions?: string[];
  exitCode?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base of every error fwsafe raises on purpose: a stable code, an exit code, next steps. */
export class FwsafeError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly actions: string[];
  readonly details: Record<string, unknown>;

  constructor(message: string, options: ErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? ExitCode.error;
    this.actions = options.actions ?? [];
    this.details = options.details ?? {};
  }

  toJSON(): { code: string; message: string; exitCode: number; actions: string[]; details?: Record<string, unknown> } {
    const out = { code: this.code, message: this.message, exitCode: this.exitCode, actions: this.actions };
    return Object.keys(this.details).length > 0 ? { ...out, details: this.details } : out;
  }
}

/** The user asked for something that cannot be done as asked (bad flag, bad file). */
export class UserError extends FwsafeError {
  constructor(message: string, options: Partial<ErrorOptions> = {}) {
    super(message, { code: 'USER_ERROR', exitCode: ExitCode.badInput, ...options });
  }
}

/** The kernel (through nft) refused a proposal. */
export class KernelRejectedError extends FwsafeError {
  constructor(message: string, options: Partial<ErrorOptions> = {}) {
    super(message, { code: 'KERNEL_REJECTED', exitCode: ExitCode.kernelRejected, ...options });
  }
}

/** An external program failed in a way we did not expect. */
export class CommandFailedError extends FwsafeError {
  readonly result: RunResult;
  constructor(result: RunResult, message?: string, options: Partial<ErrorOptions> = {}) {
    const what = [result.command, ...result.args].join(' ');
    const why = result.timedOut
      ? `timed out after ${result.durationMs} ms`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with ${result.exitCode}`;
    const stderr = result.stderr.trim().split('\n').slice(0, 6).join('\n');
    super(message ?? `${what} ${why}${stderr ? `:\n${stderr}` : ''}`, {
      code: 'COMMAND_FAILED',
      exitCode: ExitCode.error,
      ...options,
    });
    this.result = result;
  }
}

/** State on disk is unreadable or does not match its schema. */
export class StateError extends FwsafeError {
  constructor(message: string, options: Partial<ErrorOptions> = {}) {
    super(message, { code: 'STATE_CORRUPT', exitCode: ExitCode.stateCorrupt, ...options });
  }
}

/** A bug in fwsafe: always worth a report. */
export class BugError extends FwsafeError {
  constructor(message: string, options: Partial<ErrorOptions> = {}) {
    super(message, {
      code: 'BUG',
      exitCode: ExitCode.error,
      actions: ['This is a bug in fwsafe; please report it with the output of the command run with DEBUG=fwsafe.'],
      ...options,
    });
  }
}

/** The user (or a signal) cancelled the operation. */
export class CancelledError extends FwsafeError {
  constructor(message = 'Cancelled.', options: Partial<ErrorOptions> = {}) {
    super(message, { code: 'CANCELLED', exitCode: ExitCode.cancelled, ...options });
  }
}

export function needsRoot(what: string): FwsafeError {
  return new FwsafeError(`${what} needs root (CAP_NET_ADMIN).`, {
    code: 'NEEDS_ROOT',
    exitCode: ExitCode.needsRoot,
    actions: ['Run it again with sudo.'],
  });
}

/** Turn anything thrown into an FwsafeError, keeping ours as they are. */
export function toFwsafeError(error: unknown): FwsafeError {
  if (error instanceof FwsafeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BugError(`Unexpected error: ${message}`, { cause: error });
}
