import { z } from 'zod';

/** What every command prints on stdout under --json when it fails. */
export const schema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    exitCode: z.number().int(),
    actions: z.array(z.string()),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
