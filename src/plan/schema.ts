import { z } from 'zod';
import { FirewalldPlan } from '../formats/firewalld/schema.js';
import { FormatId, TransactionStep } from '../formats/types.js';
import { Where } from '../host/identity.js';

export const PLAN_VERSION = 1;

export const Severity = z.enum(['error', 'warning', 'info']);

/** One lint/probe result. `error` findings block `apply` unless --force. */
export const Finding = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]+$/),
  severity: Severity,
  message: z.string(),
  fix: z.string(),
  /** Where it applies: "inet filter/input", or a rule text. */
  location: z.string().nullable(),
  /** What found it: the rule analysis, real packets (probes), or both (the analysis confirmed by packets). */
  evidence: z.enum(['analysis', 'probe', 'analysis+probe']).optional(),
});
export type FindingT = z.infer<typeof Finding>;

export const TouchedTable = z.strictObject({
  family: z.string(),
  name: z.string(),
  existedBefore: z.boolean(),
  existsAfter: z.boolean(),
  /** docker, kube-proxy, firewalld, fail2ban, libvirt, tailscale, crowdsec, iptables-nft, or null (nobody known). */
  owner: z.string().nullable(),
  /** Managed by iptables-nft: saved/restored with iptables-nft-save/-restore, never nft text. */
  iptablesNft: z.boolean(),
});
export type TouchedTableT = z.infer<typeof TouchedTable>;

/** What happened to a table, chain, rule or set. */
const DiffKind = z.enum(['added', 'removed', 'changed']);

export const RuleChange = z.strictObject({
  kind: DiffKind,
  table: z.string(),
  chain: z.string(),
  /** nft text of the rule (new text for added/changed). */
  text: z.string(),
  /** Old text, for changed rules. */
  oldText: z.string().nullable(),
  /** 0-based position in the chain after the change (added/changed) or before it (removed). */
  position: z.number().int(),
});

export const ChainChange = z.strictObject({
  kind: DiffKind,
  table: z.string(),
  chain: z.string(),
  /** Human description of what changed: "policy accept → drop", "priority 0 → -10". */
  details: z.array(z.string()),
});

export const SetChange = z.strictObject({
  kind: DiffKind,
  table: z.string(),
  set: z.string(),
  elementsAdded: z.number().int(),
  elementsRemoved: z.number().int(),
  sampleAdded: z.array(z.string()),
  sampleRemoved: z.array(z.string()),
});

export const DiffSummary = z.strictObject({
  tablesAdded: z.number().int(),
  tablesRemoved: z.number().int(),
  tablesChanged: z.number().int(),
  chainsAdded: z.number().int(),
  chainsRemoved: z.number().int(),
  chainsChanged: z.number().int(),
  rulesAdded: z.number().int(),
  rulesRemoved: z.number().int(),
  rulesChanged: z.number().int(),
  setsChanged: z.number().int(),
});

export const Diff = z.strictObject({
  summary: DiffSummary,
  tables: z.array(z.strictObject({ kind: DiffKind, table: z.string() })),
  chains: z.array(ChainChange),
  rules: z.array(RuleChange),
  sets: z.array(SetChange),
  /** Unified diff of the normalised text of the touched tables (set elements one per line, sorted). */
  unified: z.string(),
});
export type DiffT = z.infer<typeof Diff>;

/** Live traffic through what the change removes or alters. */
export const CounterAtRisk = z.strictObject({
  kind: z.enum(['removed-rule', 'changed-rule', 'policy']),
  table: z.string(),
  chain: z.string(),
  text: z.string(),
  /** null when the rule carries no `counter` (its traffic is unknown). */
  packets: z.number().int().nullable(),
  bytes: z.number().int().nullable(),
  hasCounter: z.boolean(),
});
export type CounterAtRiskT = z.infer<typeof CounterAtRisk>;

export const Plan = z.strictObject({
  version: z.literal(PLAN_VERSION),
  /** The proposal's format (src/formats/); absent means nft, so nft plans read as they always did. */
  format: FormatId.optional(),
  createdAt: z.string(),
  netns: z.string().nullable(),
  /** Host and namespace the plan was made in: applied only there (unless --from-elsewhere). */
  where: Where.optional(),
  base: z.strictObject({
    /** Content hash of the ruleset the plan was computed against (see snapshot/hash.ts). */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    source: z.enum(['live', 'version', 'file']),
    ref: z.string().nullable(),
  }),
  proposal: z.strictObject({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), text: z.string() }),
  result: z.strictObject({
    /** Content hash of the ruleset after the change (as computed in the scratch namespace). */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    /** Normalised nft text of the touched tables after the change. */
    touchedText: z.string(),
  }),
  touchedTables: z.array(TouchedTable),
  diff: Diff,
  counters: z.array(CounterAtRisk),
  findings: z.array(Finding),
  rollback: z.strictObject({
    /** One nft transaction that restores every touched nft table exactly as it was (and deletes created ones). */
    nftScript: z.string(),
    /** iptables-nft-save output to feed iptables-nft-restore, for touched tables managed by iptables-nft. */
    iptablesNft: z.strictObject({ v4: z.string().nullable(), v6: z.string().nullable() }),
  }),
  /** A firewalld proposal (docs/firewalld.md): applied and rolled back by firewall-cmd operations. */
  firewalld: FirewalldPlan.optional(),
  /**
   * Formats other than nft store their transactions here, computed at plan time (see FormatRuntime):
   * the change and the rollback, one transaction per backend, variant and family.
   */
  transaction: z.strictObject({ apply: z.array(TransactionStep), rollback: z.array(TransactionStep) }).optional(),
});
export type PlanT = z.infer<typeof Plan>;
