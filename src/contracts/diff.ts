import { z } from 'zod';

const side = z.strictObject({ ref: z.string(), version: z.number().int().nullable(), hash: z.string() });

/** `fwsafe diff A [B] --json` */
export const schema = z.strictObject({
  from: side,
  to: side,
  identical: z.boolean(),
  added: z.number().int(),
  removed: z.number().int(),
  /** Unified diff of the normalised rulesets (handles and counters stripped). */
  unified: z.string(),
});
export type DiffResultT = z.infer<typeof schema>;
