import { z } from 'zod';
import { Actor } from '../history/schema.js';
import { ConfirmVia } from '../session/schema.js';

/** `fwsafe confirm --json` */
export const schema = z.strictObject({
  changeId: z.string(),
  versionId: z.number().int(),
  confirmedAt: z.string(),
  confirmedBy: Actor,
  persistedTo: z.string().nullable(),
  previousPersistKeptAt: z.string().nullable(),
  /** Why the change was not made persistent (a file not written, firewalld's permanent config not holding it); it is confirmed all the same. */
  persistError: z.string().nullable().optional(),
  /** null only for a change confirmed earlier by a record that did not say how (asked again by id). */
  via: ConfirmVia.nullable(),
});
