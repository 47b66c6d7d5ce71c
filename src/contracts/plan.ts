import type { z } from 'zod';
import { Plan } from '../plan/schema.js';

/** `fwsafe plan FILE --json`: the plan itself (also what `--out` writes). */
export const schema = Plan;
export type PlanResultT = z.infer<typeof schema>;
