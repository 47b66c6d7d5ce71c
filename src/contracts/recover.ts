import { z } from 'zod';
import { StaleReason } from '../pending/schema.js';
import { RolledBack } from './rollback.js';

/** `fwsafe recover --json` */
export const schema = z.strictObject({
  found: z.enum(['nothing', 'guarded', 'stale']),
  stale: StaleReason.nullable(),
  changeId: z.string().nullable(),
  result: RolledBack.nullable(),
  /** Leftovers cleaned: a lock without a pending change, a stale claim. */
  cleaned: z.array(z.string()),
});
export type RecoverResultT = z.infer<typeof schema>;
