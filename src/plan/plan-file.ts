import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Plan, type PlanT } from './schema.js';
import { writeFileAtomic } from '../state/fs-safe.js';
import { formatIssues } from '../state/parse.js';
import { UserError } from '../errors.js';

/** Reads and validates a plan file written by `fwsafe plan --out` (or `--json`). */
export function loadPlanFile(path: string): PlanT {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`Cannot read the plan ${path}: ${(error as Error).message}`, { code: 'BAD_PLAN' });
  }
  const parsed = Plan.safeParse(raw);
  if (!parsed.success) throw new UserError(`${path} is not a valid fwsafe plan: ${formatIssues(parsed.error)}.`, { code: 'BAD_PLAN' });
  return parsed.data;
}

/** Writes a plan file atomically, root-only (0600). */
export function writePlanFile(path: string, plan: PlanT): void {
  writeFileAtomic(resolve(path), JSON.stringify(plan, null, 2) + '\n');
}
