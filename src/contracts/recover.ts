import { z } from 'zod';
import { RolledBack } from './rollback.js';

/** `fwsafe recover --json` */
export const schema = z.strictObject({
  found: z.enum(['nothing', 'guarded', 'stale']),
  stale: z.enum(['rebooted', 'deadline-passed', 'watchdog-gone']).nullable(),
  changeId: z.string().nullable(),
  result: RolledBack.nullable(),
  /** Leftovers cleaned: a lock without a pending change, a stale claim. */
  cleaned: z.array(z.string()),
});
