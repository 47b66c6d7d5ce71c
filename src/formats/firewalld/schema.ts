import { z } from 'zod';
import { ITEMS, isStageableArgv } from './operations.js';

const ItemKindEnum = z.enum(Object.keys(ITEMS) as [keyof typeof ITEMS, ...(keyof typeof ITEMS)[]]);
// One firewall-cmd argument: an option with its value; never a path to a program, never a shell word.
const Arg = z.string().regex(/^--[a-z][a-z-]*(=[^\x00-\x1f\x7f]{0,1024})?$/);
/** firewall-cmd argv of one operation (runtime form; `--permanent` is added on confirm). */
export const OpArgv = z
  .array(Arg)
  .min(1)
  .max(2)
  .refine(isStageableArgv, { message: 'not a firewall-cmd operation fwsafe stages (docs/firewalld.md)' });

export const ZoneDiff = z.strictObject({
  defaultZone: z.strictObject({ from: z.string(), to: z.string() }).nullable(),
  changes: z.array(
    z.strictObject({
      container: z.string(),
      kind: z.enum(['zone', 'policy']),
      item: ItemKindEnum,
      added: z.array(z.string()),
      removed: z.array(z.string()),
    }),
  ),
  unmatched: z.array(z.string()),
});

/** The firewalld part of a plan: the operations, their zone-level effect and its inverse. */
export const FirewalldPlan = z.strictObject({
  /** The proposal's operations with their zone resolved, in order. */
  ops: z.array(z.strictObject({ line: z.number().int().positive(), text: z.string(), argv: OpArgv })),
  /** What the operations change, zone by zone (computed by a scratch firewalld). */
  diff: ZoneDiff,
  /** Runtime operations that undo exactly `diff` (idempotent; others' changes untouched). */
  rollbackOps: z.array(OpArgv),
});
export type FirewalldPlanT = z.infer<typeof FirewalldPlan>;

/** What the pending record keeps for a firewalld change: the plan part and the bus of the firewalld changed. */
export const FirewalldPending = FirewalldPlan.extend({
  bus: z
    .string()
    .regex(/^unix:path=\/[A-Za-z0-9_./+-]{1,200}$/)
    .nullable(),
  /** The rules the change adds to `inet firewalld` (the plan's nft diff): what a killed firewalld's old table may keep. */
  nftAdded: z
    .array(z.strictObject({ chain: z.string().max(256), text: z.string().max(4096) }))
    .max(10_000)
    .optional(),
});
export type FirewalldPendingT = z.infer<typeof FirewalldPending>;
