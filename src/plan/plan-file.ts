import { statSync } from 'node:fs';
import { readTextFile } from '../state/read-text.js';
import { dirname, resolve } from 'node:path';
import { Plan, type PlanT } from './schema.js';
import { writeFileAtomic } from '../state/fs-safe.js';
import { formatIssues } from '../state/parse.js';
import { ExitCode, FwsafeError, UserError } from '../errors.js';
import { sha256 } from '../snapshot/hash.js';

/** Reads and validates a plan file written by `fwsafe plan --out` (or `--json`). */
export function loadPlanFile(path: string): PlanT {
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(path));
  } catch (error) {
    throw new UserError(`Cannot read the plan ${path}: ${(error as Error).message}`, { code: 'BAD_PLAN' });
  }
  const parsed = Plan.safeParse(raw);
  if (!parsed.success)
    throw new UserError(`${path} is not a valid fwsafe plan: ${formatIssues(parsed.error)}.`, { code: 'BAD_PLAN' });
  return parsed.data;
}

/**
 * A plan file as evidence for the gate: its format (zod, above) and its proposal hash are checked
 * before anything else. A proposal whose text no longer matches its recorded sha256 was edited after
 * review: refused with its own exit code (12). The base hash is compared with the live ruleset under
 * the lock (drift, exit 8). Nothing executable is taken from a plan file: the gate plans the recorded
 * text again on the host, and the rollback is built there from the base taken under the lock.
 */
export function verifyPlanFile(path: string): PlanT {
  const plan = loadPlanFile(path);
  const actual = sha256(plan.proposal.text);
  if (actual !== plan.proposal.sha256) {
    throw new FwsafeError(
      `The plan ${path} was altered: its proposal text does not match the sha256 recorded with it. Nothing was applied.`,
      {
        code: 'PLAN_TAMPERED',
        exitCode: ExitCode.planTampered,
        actions: ['Plan the reviewed proposal again (fwsafe plan FILE --out plan.json) and review the new plan.'],
        details: { recorded: plan.proposal.sha256, actual },
      },
    );
  }
  return plan;
}

const unwritable = (path: string, why: string, what = 'plan'): UserError =>
  new UserError(`Cannot write the ${what} to ${path}: ${why}.`, {
    code: `${what.toUpperCase()}_OUT_UNWRITABLE`,
    actions: ['Pass --out a file path in an existing directory you can write to.'],
  });

/** Checks an `--out` path before the (slower) planning, so a typo does not cost a whole plan. */
export function checkPlanOutPath(path: string, what = 'plan'): void {
  const full = resolve(path);
  let dir;
  try {
    dir = statSync(dirname(full));
  } catch {
    throw unwritable(path, `the directory ${dirname(full)} does not exist`, what);
  }
  if (!dir.isDirectory()) throw unwritable(path, `${dirname(full)} is not a directory`, what);
  try {
    if (statSync(full).isDirectory())
      throw unwritable(path, `it is a directory; name a file in it (e.g. ${what}.json)`, what);
  } catch (error) {
    if (error instanceof FwsafeError) throw error;
  }
}

/** Writes a plan file atomically, root-only (0600). */
export function writePlanFile(path: string, plan: PlanT): void {
  checkPlanOutPath(path);
  try {
    writeFileAtomic(resolve(path), `${JSON.stringify(plan, null, 2)}\n`);
  } catch (error) {
    if (error instanceof FwsafeError) throw error;
    throw unwritable(path, (error as Error).message);
  }
}
