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
  /**
   * How it was confirmed: which connection, and whether that proved new connections get in (null only when
   * asking again about a change confirmed by a record that did not say how).
   */
  via: ConfirmVia.nullable(),
});
export type ConfirmResultT = z.infer<typeof schema>;
