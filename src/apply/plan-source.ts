import type { PlanT } from '../plan/schema.js';
import { FwsafeError } from '../errors.js';

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

export { loadPlanFile } from '../plan/plan-file.js';
