import { z } from 'zod';
import { VersionRecord } from '../history/schema.js';

/** `fwsafe snapshot --json` */
export const schema = z.strictObject({
  version: VersionRecord,
  sameAsVersion: z.number().int().nullable(),
});
