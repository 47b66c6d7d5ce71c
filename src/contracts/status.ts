import { z } from 'zod';

const Rewritten = z.strictObject({
  table: z.string(),
  netns: z.string().nullable(),
  version: z.number().int(),
  confirmedAt: z.string(),
  now: z.enum(['changed', 'missing']),
});

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
  /** Tables fwsafe changed that no longer match their last confirmed version (a manager rewrote them). */
  rewritten: z.array(Rewritten).optional(),
});
