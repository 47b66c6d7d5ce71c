import { z } from 'zod';
import { RewrittenTable, VersionRecord } from '../history/schema.js';
import { StaleReason } from '../pending/schema.js';

/** `fwsafe log --json` */
export const schema = z.strictObject({
  versions: z.array(VersionRecord),
  /** Records that could not be read, named, so a corrupt file never hides the others. */
  unreadable: z.array(z.strictObject({ file: z.string(), message: z.string() })),
  /** Tables fwsafe changed that no longer match their last confirmed version (absent: none recorded). */
  rewritten: z.array(RewrittenTable).optional(),
  /** The pending change when nothing guards it any more (no guard, no waiting CLI): `fwsafe recover` restores it. */
  unguarded: z.strictObject({ changeId: z.string(), reason: StaleReason }).nullable(),
});
export type LogResultT = z.infer<typeof schema>;
