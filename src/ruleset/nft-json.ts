import { z } from 'zod';
import { formatIssues } from '../state/parse.js';
import { FwsafeError } from '../errors.js';

// Schemas of `nft -j list ruleset` (libnftables JSON, schema version 1). Loose: newer nft adds keys.
const family = z.enum(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

export const NftTable = z.looseObject({ family, name: z.string(), handle: z.number().int() });
export const NftChain = z.looseObject({
  family,
  table: z.string(),
  name: z.string(),
  handle: z.number().int(),
  type: z.string().optional(),
  hook: z.string().optional(),
  prio: z.number().int().optional(),
  policy: z.string().optional(),
  dev: z.union([z.string(), z.array(z.string())]).optional(),
});
export const NftExpr = z.record(z.string(), z.unknown());
export const NftRule = z.looseObject({
  family,
  table: z.string(),
  chain: z.string(),
  handle: z.number().int(),
  expr: z.array(NftExpr),
  comment: z.string().optional(),
});
export const NftSet = z.looseObject({
  family,
  table: z.string(),
  name: z.string(),
  handle: z.number().int(),
  type: z.unknown(),
  map: z.unknown().optional(),
  flags: z.array(z.string()).optional(),
  elem: z.array(z.unknown()).optional(),
});
export const NftJson = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

export type Family = z.infer<typeof family>;
export type NftTableT = z.infer<typeof NftTable>;
export type NftChainT = z.infer<typeof NftChain>;
export type NftRuleT = z.infer<typeof NftRule>;
export type NftSetT = z.infer<typeof NftSet>;

export interface ParsedNftJson {
  tables: NftTableT[];
  chains: NftChainT[];
  rules: NftRuleT[];
  sets: (NftSetT & { kind: 'set' | 'map' })[];
  /** Other stateful objects (counters, quotas, ct helpers, flowtables...) by table key. */
  others: { kind: string; family: string; table: string; name: string }[];
}

/**
 * Validates one item and returns it as nft printed it: the schemas have no defaults or transforms, so
 * the input is the value, and not copying it matters at 50k rules (less garbage, a smaller peak).
 */
function parseItem<T>(schema: z.ZodType<T>, value: unknown, index: number, kind: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new FwsafeError(`nft -j output item ${index} (${kind}) has an unexpected shape: ${formatIssues(parsed.error)}`, {
      code: 'NFT_JSON_SHAPE',
    });
  }
  return value as T;
}

/** Validates and splits `nft -j list ruleset` output. */
export function parseNftJson(text: string): ParsedNftJson {
  const out: ParsedNftJson = { tables: [], chains: [], rules: [], sets: [], others: [] };
  if (text.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new FwsafeError(`nft -j produced invalid JSON: ${(error as Error).message}`, { code: 'NFT_JSON_INVALID' });
  }
  const doc = NftJson.safeParse(raw);
  if (!doc.success) throw new FwsafeError(`nft -j output: ${formatIssues(doc.error)}`, { code: 'NFT_JSON_SHAPE' });
  (raw as z.infer<typeof NftJson>).nftables.forEach((item, index) => {
    const [kind, value] = Object.entries(item)[0] ?? ['', undefined];
    switch (kind) {
      case 'metainfo':
        return;
      case 'table':
        out.tables.push(parseItem(NftTable, value, index, kind));
        return;
      case 'chain':
        out.chains.push(parseItem(NftChain, value, index, kind));
        return;
      case 'rule':
        out.rules.push(parseItem(NftRule, value, index, kind));
        return;
      case 'set':
      case 'map':
        out.sets.push({ ...parseItem(NftSet, value, index, kind), kind });
        return;
      default: {
        const v = (value ?? {}) as Record<string, unknown>;
        out.others.push({ kind, family: String(v.family ?? ''), table: String(v.table ?? ''), name: String(v.name ?? '') });
      }
    }
  });
  return out;
}
