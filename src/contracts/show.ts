import { z } from 'zod';
import { VersionRecord } from '../history/schema.js';
import { Snapshot } from '../snapshot/schema.js';

/** `fwsafe show VERSION --json` */
export const schema = z.strictObject({ version: VersionRecord, text: z.string(), snapshot: Snapshot });
