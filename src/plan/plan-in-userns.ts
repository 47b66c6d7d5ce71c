import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../run/runner.js';
import { ExitCode, FwsafeError, BugError } from '../errors.js';
import { Plan, type PlanT } from './schema.js';
import type { PlanOptions } from './create-plan.js';

const HERE = join(fileURLToPath(import.meta.url), '..');
// Compiled, the worker sits beside this module; run from the TypeScript sources (tests), use the build's.
const WORKER = existsSync(join(HERE, 'userns-worker.js'))
  ? join(HERE, 'userns-worker.js')
  : join(HERE, '..', '..', 'dist', 'src', 'plan', 'userns-worker.js');

/** The options a worker needs, as plain JSON (paths made absolute: the worker may not share the cwd). */
export interface WorkerRequest {
  proposalPath: string;
  against: string;
  probes: PlanOptions['probes'];
  adminAddresses?: string[];
  iptables?: PlanOptions['iptables'];
  pairWith?: string | null;
}

/**
 * Plans as an ordinary user: the same code that runs as root, run as root of a private user + network
 * + mount namespace (`unshare -rnm`), where scratch namespaces, veths, nft and iptables all work on
 * rules nobody else can see. Stored versions stay out of reach (the state directory is root-only).
 */
export async function planInUserns(options: PlanOptions): Promise<PlanT> {
  const request: WorkerRequest = {
    proposalPath: resolve(options.proposalPath),
    against: resolve(options.against!),
    probes: options.probes,
    adminAddresses: [options.adminAddresses ?? []].flat(),
    iptables: options.iptables,
    pairWith: options.pairWith ? resolve(options.pairWith) : null,
  };
  const r = await run(
    'unshare',
    ['--user', '--map-root-user', '--net', '--mount', '--propagation', 'private', '--', process.execPath, WORKER],
    {
      input: JSON.stringify(request),
      allowFailure: true,
      timeoutMs: 15 * 60_000,
      env: options.env ? { ...options.env } : undefined,
    },
  );
  if (r.exitCode !== 0 && !r.stdout.trim()) {
    if (/unshare/.test(r.stderr)) {
      throw new FwsafeError(
        `Planning without root needs an unprivileged user namespace, and this machine refuses one (${r.stderr.trim().split('\n')[0]}). Run fwsafe plan as root, or allow user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, or the AppArmor restriction on Ubuntu).`,
        {
          code: 'USERNS_UNAVAILABLE',
          exitCode: ExitCode.needsRoot,
          actions: ['Run it again with sudo.', 'Or enable unprivileged user namespaces on this CI runner.'],
        },
      );
    }
    throw new BugError(
      `The unprivileged planner failed without an answer (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 500)}`,
    );
  }
  let answer: {
    plan?: unknown;
    error?: { code: string; message: string; exitCode: number; actions: string[]; details?: Record<string, unknown> };
  };
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    throw new BugError(`The unprivileged planner answered something that is not JSON: ${r.stdout.slice(0, 200)}`);
  }
  if (answer.error) {
    const e = answer.error;
    throw new FwsafeError(e.message, { code: e.code, exitCode: e.exitCode, actions: e.actions, details: e.details });
  }
  return Plan.parse(answer.plan);
}
