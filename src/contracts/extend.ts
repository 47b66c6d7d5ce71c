import { z } from 'zod';

/** `fwsafe extend SECONDS --json` */
export const schema = z.strictObject({
  changeId: z.string(),
  deadline: z.string(),
  secondsLeft: z.number(),
});
export type ExtendResultT = z.infer<typeof schema>;
