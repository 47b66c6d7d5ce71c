import { z } from 'zod';

/** `fwsafe status --json` */
export const schema = z.strictObject({
  pending: z
    .strictObject({
      changeId: z.string(),
      versionId: z.number().int().nullable(),
      baseVersion: z.number().int(),
      netns: z.string().nullable(),
      createdAt: z.string(),
      message: z.string(),
      deadline: z.string(),
      secondsLeft: z.number(),
      timeoutSec: z.number().int(),
      watchdogPid: z.number().int().nullable(),
      watchdogAlive: z.boolean(),
      guards: z.array(z.strictObject({ slot: z.number().int(), pid: z.number().int().nullable(), alive: z.boolean() })),
      waitingCliPid: z.number().int().nullable(),
      touchedTables: z.array(z.string()),
      persistPath: z.string().nullable(),
      stale: z.enum(['rebooted', 'deadline-passed', 'watchdog-gone']).nullable(),
    })
    .nullable(),
});
