import { z } from 'zod';

/** `fwsafe lab down --json` */
export const schema = z.strictObject({
  name: z.string(),
  removed: z.array(z.string()),
  killed: z.array(z.number().int()),
});
export type LabDownResultT = z.infer<typeof schema>;
