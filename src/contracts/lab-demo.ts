import { z } from 'zod';

/** `fwsafe lab demo --json` */
export const schema = z.strictObject({
  lab: z.string(),
  lockoutPredicted: z.boolean(),
  sessionFroze: z.boolean(),
  newLoginRefused: z.boolean(),
  rolledBack: z.boolean(),
  /** How long after the deadline the watchdog's rollback was recorded, ms. */
  rollbackLatenessMs: z.number().nullable(),
  sessionCameBack: z.boolean(),
  newLoginWorksAgain: z.boolean(),
  rollbackOutcome: z.string().nullable(),
  durationMs: z.number().int(),
});
export type LabDemoResultT = z.infer<typeof schema>;
