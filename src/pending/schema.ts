import { z } from 'zod';
import { Actor, RollbackReason } from '../history/schema.js';
import { FormatId, TransactionStep } from '../formats/types.js';
import { Connection } from '../session/schema.js';
import { Where } from '../host/identity.js';

export const PENDING_SCHEMA = 1;

/** Why a pending change is no longer guarded (`fwsafe recover` restores it). */
export const StaleReason = z.enum(['rebooted', 'deadline-passed', 'watchdog-gone']);
export type StaleReasonT = z.infer<typeof StaleReason>;

export const PendingTable = z.strictObject({
  family: z.string().regex(/^(ip|ip6|inet|arp|bridge|netdev)$/),
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  /** Restored with iptables-nft-restore, never through nft text. */
  iptablesNft: z.boolean(),
});
export type PendingTableT = z.infer<typeof PendingTable>;

/**
 * An object the inverse works on. `block`: where it stood before the change in the whole-table script
 * (rollback.nftScript), [start, end) — for a chain or set, its `chain X { … }` block, for a table its
 * restore segment — so a rollback that meets a conflict restores that one object from it, computing nothing.
 */
export const InverseObject = z.strictObject({
  table: z.string(),
  kind: z.enum(['chain', 'set', 'map', 'table']),
  /** '' for a table. */
  name: z.string(),
  /** What the change did to it; 'table': the table itself (a segment restoring it whole). */
  change: z.enum(['created', 'deleted', 'changed', 'table']),
  /** A base chain's `type … hook … priority …; policy …;` before the change. */
  header: z.string().nullable(),
  block: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullable(),
});
export type InverseObjectT = z.infer<typeof InverseObject>;

/** The inverse delta of an nft change: its script, the operations it undoes, tables it restores whole. */
export const RollbackInverse = z.strictObject({
  nftScript: z.string(),
  ops: z.array(z.string()),
  wholeTables: z.array(z.string()),
  /** The objects its lines undo a change of (absent in records made before per-object fallbacks). */
  objects: z.array(InverseObject).optional(),
  /** One per line of nftScript: the index in `objects` of the object that line belongs to. */
  origins: z.array(z.number().int().nonnegative()).optional(),
});
export type RollbackInverseT = z.infer<typeof RollbackInverse>;

/** The one change awaiting confirmation (`pending.json`): everything the watchdog needs, precomputed. */
export const PendingRecord = z.strictObject({
  schema: z.literal(PENDING_SCHEMA),
  changeId: z.string().regex(/^c-[0-9a-z-]{6,64}$/),
  /** The apply version; null until the change is applied and recorded. */
  versionId: z.number().int().positive().nullable(),
  baseVersion: z.number().int().positive(),
  netns: z.string().nullable(),
  where: Where.optional(),
  createdAt: z.string(),
  actor: Actor,
  message: z.string(),
  /** The proposal's format: which FormatRuntime persists and compares its objects (src/formats/runtime.ts); absent: nft. */
  format: FormatId.optional(),
  /** nft tables the change touches (fingerprinted before/after); empty for an iptables change (its chains are in `expectedText`). */
  touchedTables: z.array(PendingTable),
  rollback: z.strictObject({
    /** Restores every touched nft table whole, as it was before the change: the fallback. */
    nftScript: z.string(),
    iptablesNft: z.strictObject({ v4: z.string().nullable(), v6: z.string().nullable() }),
    /**
     * The inverse of what the change did (src/apply/inverse.ts), computed right after the apply from
     * the listing with the new handles; run first, so what others add meanwhile survives.
     */
    inverse: RollbackInverse.nullable().optional(),
    /**
     * Transactions beyond nft's, run after it as they are (FormatRuntime.rollbackSteps): the iptables
     * restores of an iptables change, or of the iptables chains a `rollback VERSION` brings back.
     */
    steps: z.array(TransactionStep).optional(),
  }),
  /**
   * What the change left: normalised nft text of the touched tables (plan.result.touchedText), or the
   * format's own text for other formats (FormatRuntime.expectedText: iptables chains as JSON).
   */
  expectedText: z.string(),
  /** Fingerprints of the touched tables before the change (base snapshot) and as the kernel had them after it. */
  before: z.record(z.string(), z.string().nullable()).optional(),
  after: z.record(z.string(), z.string().nullable()).optional(),
  proposalText: z.string(),
  timeoutSec: z.number().int().positive(),
  /** Wall clock, for display only. */
  deadline: z.string(),
  /** process.hrtime.bigint() at the deadline: CLOCK_MONOTONIC is system-wide, immune to clock jumps. */
  deadlineMonoNs: z.string().regex(/^\d+$/),
  /** A different boot id means the host rebooted: the change is stale. */
  bootId: z.string(),
  watchdogPid: z.number().int().positive().nullable(),
  /** One-time code typed at the TTY prompt. */
  code: z.string().regex(/^[a-z0-9]{4,12}$/),
  persistPath: z.string().nullable(),
  /** Set by a process asking the watchdog to roll back now (e.g. the CLI on hang-up). */
  rollbackRequest: RollbackReason.nullable(),
  /** The connection the change was applied from: a confirmation must come from a newer one. */
  appliedFrom: Connection.nullable().optional(),
  /** When the change was live (after its nft transaction), in clock ticks since boot like process start times. */
  appliedAtTicks: z.number().int().nonnegative().nullable().optional(),
});
export type PendingRecordT = z.infer<typeof PendingRecord>;

/** The lock file's content: who holds it. */
const StartTime = z.string().regex(/^\d+$/);
export const LockRecord = z.strictObject({
  pid: z.number().int().positive(),
  /** /proc/PID/stat field 22: a recycled pid has another. */
  startTime: StartTime,
  changeId: z.string(),
  at: z.string(),
  /** The host-wide lock file of the target namespace this lock goes with (src/pending/netns-lock.ts). */
  netnsLock: z.string().nullable(),
});
export type LockRecordT = z.infer<typeof LockRecord>;

/** The claim file: which process is resolving (confirming, extending, rolling back) the change now. */
export const ClaimRecord = z.strictObject({
  pid: z.number().int().positive(),
  startTime: StartTime,
  changeId: z.string(),
  action: z.string(),
  /** CLOCK_MONOTONIC when taken: past the deadline, a claim held too long is taken over by the watchdog. */
  atMonoNs: z.string().regex(/^\d+$/),
});
export type ClaimRecordT = z.infer<typeof ClaimRecord>;
