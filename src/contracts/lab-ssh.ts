import { z } from 'zod';

/** `fwsafe lab ssh --json` (the session itself is interactive) */
export const schema = z.strictObject({ exitCode: z.number().int() });
export type LabSshResultT = z.infer<typeof schema>;
