import { z } from 'zod';

export const LAB_ADMIN_V4 = '198.51.100.1';
export const LAB_SERVER_V4 = '198.51.100.2';
export const LAB_ADMIN_V6 = '2001:db8:100::1';
export const LAB_SERVER_V6 = '2001:db8:100::2';

/** `<state-dir>/lab/NAME/lab.json`: what `lab down` needs to remove. */
export const LabRecord = z.strictObject({
  name: z.string(),
  adminNetns: z.string(),
  serverNetns: z.string(),
  admin: z.strictObject({ v4: z.string(), v6: z.string() }),
  server: z.strictObject({ v4: z.string(), v6: z.string() }),
  sshdPid: z.number().int().nullable(),
  /** The namespaces this lab created, with their identity (src/pending/netns-lock.ts netnsKey): `lab down` removes these only. */
  created: z.array(z.strictObject({ netns: z.string(), id: z.string() })),
  dir: z.string(),
  createdAt: z.string(),
});
export type LabRecordT = z.infer<typeof LabRecord>;
