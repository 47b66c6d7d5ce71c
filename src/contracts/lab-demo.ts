import { z } from 'zod';

/** `fwsafe lab demo --json` */
export const schema = z.strictObject({
  lab: z.string(),
  lockoutPredicted: z.boolean(),
  sessionFroze: z.boolean(),
  rolledBack: z.boolean(),
  sessionCameBack: z.boolean(),
  rollbackOutcome: z.string().nullable(),
});
