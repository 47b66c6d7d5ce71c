import { z } from 'zod';
import { VersionRecord } from '../history/schema.js';
import { Snapshot } from '../snapshot/schema.js';

/** `fwsafe show VERSION --json` */
export const schema = z.strictObject({
  version: VersionRecord,
  /** The ruleset: normalised (default) or as listed (--raw). */
  text: z.string(),
  snapshot: Snapshot,
});
export type ShowResultT = z.infer<typeof schema>;
