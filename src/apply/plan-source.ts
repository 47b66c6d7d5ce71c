import { readFileSync } from 'node:fs';
import { Plan, type PlanT } from '../plan/schema.js';
import { formatIssues } from '../state/parse.js';
import { FwsafeError, UserError } from '../errors.js';

// The planner lives in src/plan/create-plan.ts; wiring it is this one import.
const PLANNER = '../plan/create-plan.js';

/** Plans a proposal file against the live ruleset (as `fwsafe plan` does). */
export async function planProposal(options: { netns: string | null; proposalPath: string; stateDir?: string; probes?: boolean }): Promise<PlanT> {
  let mod: { createPlan: (o: { netns: string | null; proposalPath: string; stateDir?: string; probes?: { enabled: boolean } }) => Promise<PlanT> };
  try {
    mod = await import(PLANNER);
  } catch (error) {
    throw new FwsafeError(`The planner is not available in this build (${(error as Error).message}).`, {
      code: 'PLANNER_MISSING',
      actions: ['Apply a saved plan instead: fwsafe apply --plan PLAN.json'],
    });
  }
  return mod.createPlan({ netns: options.netns, proposalPath: options.proposalPath, stateDir: options.stateDir, probes: { enabled: options.probes ?? true } });
}

/** Reads and validates a plan written by `fwsafe plan --json`. */
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
