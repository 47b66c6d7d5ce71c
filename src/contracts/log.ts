import { z } from 'zod';
import { VersionRecord } from '../history/schema.js';

/** `fwsafe log --json` */
export const schema = z.strictObject({
  versions: z.array(VersionRecord),
  unreadable: z.array(z.strictObject({ file: z.string(), message: z.string() })),
  rewritten: z
    .array(
      z.strictObject({
        table: z.string(),
        netns: z.string().nullable(),
        version: z.number().int(),
        confirmedAt: z.string(),
        now: z.enum(['changed', 'missing']),
      }),
    )
    .optional(),
  /** The pending change when nothing guards it any more (no guard, no waiting CLI): `fwsafe recover` restores it. */
  unguarded: z
    .strictObject({ changeId: z.string(), reason: z.enum(['rebooted', 'deadline-passed', 'watchdog-gone']) })
    .nullable(),
});
