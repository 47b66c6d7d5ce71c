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
/**
 * A statement: an object, or a raw string for the statements nft 1.0.6 has no JSON form for
 * (chain bindings `jump { … }`, map updates `update @m { ip saddr : 0x2 }`; "warning: stmt ops … have
 * no json callback" on stderr). Raw ones are kept as opaque parts of the rule.
 */
export const NftStatement = z.union([NftExpr, z.string()]);
export const NftRule = z.looseObject({
  family,
  table: z.string(),
  chain: z.string(),
  handle: z.number().int(),
  expr: z.array(NftStatement),
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
export const NftJson = z.object({ nftables: z.array(z.unknown()) });

export type Family = z.infer<typeof family>;
export type NftTableT = z.infer<typeof NftTable>;
export type NftChainT = z.infer<typeof NftChain>;
export type NftRuleT = z.infer<typeof NftRule>;
export type NftSetT = z.infer<typeof NftSet>;

/** A listed item whose shape fwsafe does not know: kept aside with where it was and why, never fatal. */
export interface UnreadItem {
  kind: string;
  family: string | null;
  table: string | null;
  /** The object's own name (chain, set, …); null for rules. */
  name: string | null;
  /** The chain a rule sits in. */
  chain: string | null;
  handle: number | null;
  why: string;
}

export interface ParsedNftJson {
  tables: NftTableT[];
  chains: NftChainT[];
  rules: NftRuleT[];
  sets: (NftSetT & { kind: 'set' | 'map' })[];
  /** Other stateful objects (counters, quotas, ct helpers, flowtables...) by table key. */
  others: { kind: string; family: string; table: string; name: string }[];
  /** Items the kernel holds but whose shape the schemas above do not accept. */
  unread: UnreadItem[];
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Validates one item and returns it as nft printed it: the schemas have no defaults or transforms, so
 * the input is the value, and not copying it matters at 50k rules (less garbage, a smaller peak).
 * An item of another shape is set aside in `unread` (with where it sits and why) and null returned:
 * one unusual object must never make the rest of the ruleset unreadable.
 */
function parseItem<T>(schema: z.ZodType<T>, value: unknown, kind: string, unread: UnreadItem[]): T | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return value as T;
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  unread.push({
    kind,
    family: text(v.family),
    table: text(v.table) ?? (kind === 'table' ? text(v.name) : null),
    name: kind === 'rule' ? null : text(v.name),
    chain: kind === 'rule' ? text(v.chain) : null,
    handle: typeof v.handle === 'number' ? v.handle : null,
    why: `nft -j printed it in a shape fwsafe does not read (${formatIssues(parsed.error)})`,
  });
  return null;
}

/** A rule nft printed in a shape fwsafe does not read, as a rule of one opaque statement (its JSON). */
function unreadRule(value: unknown, unread: UnreadItem): NftRuleT {
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return {
    family: (family.safeParse(v.family).data ?? 'inet') as Family,
    table: unread.table ?? '',
    chain: unread.chain ?? '',
    handle: unread.handle ?? -1,
    expr: [`${UNREAD_PREFIX}${JSON.stringify(v.expr ?? v)}`],
  };
}

/** Marks the opaque statement standing for a whole rule fwsafe could not read. */
export const UNREAD_PREFIX = 'unread rule: ';

/** Validates and splits `nft -j list ruleset` output. */
export function parseNftJson(text: string): ParsedNftJson {
  const out: ParsedNftJson = { tables: [], chains: [], rules: [], sets: [], others: [], unread: [] };
  if (text.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new FwsafeError(`nft -j produced invalid JSON: ${(error as Error).message}`, { code: 'NFT_JSON_INVALID' });
  }
  const doc = NftJson.safeParse(raw);
  if (!doc.success) throw new FwsafeError(`nft -j output: ${formatIssues(doc.error)}`, { code: 'NFT_JSON_SHAPE' });
  const push = <T>(list: T[], item: T | null): void => void (item !== null && list.push(item));
  (raw as z.infer<typeof NftJson>).nftables.forEach((item) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      const why = `nft -j printed ${JSON.stringify(item)} where an object was expected`;
      out.unread.push({ kind: 'item', family: null, table: null, name: null, chain: null, handle: null, why });
      return;
    }
    const [kind, value] = Object.entries(item)[0] ?? ['', undefined];
    switch (kind) {
      case 'metainfo':
        return;
      case 'table':
        push(out.tables, parseItem(NftTable, value, kind, out.unread));
        return;
      case 'chain':
        push(out.chains, parseItem(NftChain, value, kind, out.unread));
        return;
      case 'rule': {
        const rule = parseItem(NftRule, value, kind, out.unread);
        // In place, so the chain keeps its order: a rule of another shape is one opaque statement.
        out.rules.push(rule ?? unreadRule(value, out.unread.at(-1)!));
        return;
      }
      case 'set':
      case 'map': {
        const set = parseItem(NftSet, value, kind, out.unread);
        if (set) out.sets.push({ ...set, kind });
        return;
      }
      default: {
        const v = (value ?? {}) as Record<string, unknown>;
        out.others.push({
          kind,
          family: String(v.family ?? ''),
          table: String(v.table ?? ''),
          name: String(v.name ?? ''),
        });
      }
    }
  });
  return out;
}
