import { z } from 'zod';

const side = z.strictObject({ ref: z.string(), version: z.number().int().nullable(), hash: z.string() });

/**
 * A table that exists on the newer side only and that no fwsafe change created (another program's, or
 * made by hand): `rollback` leaves such tables alone, so `diff` does not compare them and lists them here.
 */
export const notComparedTable = z.strictObject({
  /** `family name`, e.g. `ip nat`. */
  table: z.string(),
  /** The program owning the table, by its name or as an iptables-nft table; null when unknown (made by hand). */
  owner: z.string().nullable(),
  /** Programs owning chains inside it (docker's DOCKER chains in iptables-nft's `ip nat`). */
  chainOwners: z.array(z.string()),
  /** An iptables-nft table: the admin's chains and rules in it are still compared (iptables-nft section). */
  iptablesNft: z.boolean(),
  /** The side holding it (`to` for `diff N live`). */
  side: z.enum(['from', 'to']),
});
export type NotComparedTableT = z.infer<typeof notComparedTable>;

/** `fwsafe diff A [B] --json` */
export const schema = z.strictObject({
  from: side,
  to: side,
  /** No difference in the tables compared (every table but those in `notCompared`). */
  identical: z.boolean(),
  added: z.number().int(),
  removed: z.number().int(),
  /** Unified diff of the normalised rulesets (handles and counters stripped), without the `notCompared` tables. */
  unified: z.string(),
  /** Tables of other owners, not managed by fwsafe: present only on the newer side, not compared. */
  notCompared: z.array(notComparedTable),
});
export type DiffResultT = z.infer<typeof schema>;
