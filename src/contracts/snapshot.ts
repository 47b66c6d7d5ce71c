import { z } from 'zod';
import { VersionRecord } from '../history/schema.js';

/** `fwsafe snapshot --json` */
export const schema = z.strictObject({
  version: VersionRecord,
  /** The latest earlier version with the same content hash, if the rules did not change since. */
  sameAsVersion: z.number().int().nullable(),
});
export type SnapshotResultT = z.infer<typeof schema>;
