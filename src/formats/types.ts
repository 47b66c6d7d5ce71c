import { z } from 'zod';
import type { PlanOptions } from '../plan/create-plan.js';
import type { PlanT } from '../plan/schema.js';
import type { SnapshotT } from '../snapshot/schema.js';
import type { EarlySave } from '../snapshot/take.js';
import type { PendingRecordT, RollbackInverseT } from '../pending/schema.js';

/** The proposal formats fwsafe plans and applies; one folder under src/formats/ each. */
export const FORMAT_IDS = ['nft', 'iptables', 'firewalld'] as const;
export const FormatId = z.enum(FORMAT_IDS);
export type FormatIdT = z.infer<typeof FormatId>;

/**
 * The programs a stored transaction may run. A pending record is read back by a root process: the
 * program is one of these names (resolved to an absolute path by src/run/), never a path from a file.
 */
export const STEP_PROGRAMS = [
  'nft',
  'iptables-nft-restore',
  'ip6tables-nft-restore',
  'iptables-legacy-restore',
  'ip6tables-legacy-restore',
  'firewall-cmd',
] as const;

/** One transaction of one backend: a program, its arguments, its stdin. Apply and rollback are lists of these. */
export const TransactionStep = z.strictObject({
  program: z.enum(STEP_PROGRAMS),
  args: z.array(z.string().max(256)).max(32),
  input: z.string(),
  /**
   * Environment the program needs, and nothing else: the D-Bus of the firewalld a firewall-cmd step talks
   * to (recorded at apply time, so a confirm from a new SSH session reaches the same firewalld).
   */
  env: z
    .strictObject({ DBUS_SYSTEM_BUS_ADDRESS: z.string().regex(/^unix:path=\/[A-Za-z0-9_./+-]{1,200}$/) })
    .optional(),
  /** What it changes or restores, for messages: "nft tables", "iptables-nft v4 filter INPUT,DOCKER-USER". */
  what: z.string(),
});
export type TransactionStepT = z.infer<typeof TransactionStep>;

/** What `--persist-default` stands for until apply asks the format's PersistTarget.defaultPath. */
export const PERSIST_DEFAULT = '@default';

/** What recognise() saw in a proposal: the format and, in words, why (shown when the format is refused). */
export interface Recognition {
  format: FormatIdT;
  /** "iptables-restore input (*filter … COMMIT), IPv4". */
  seen: string;
}

/** A plan and the live snapshot it was made against (null for --against); apply keeps the snapshot as base. */
export interface PlannedChange {
  plan: PlanT;
  baseSnapshot: SnapshotT | null;
}

/** What plan() receives: the plan options plus the proposal already read (readProposal) and recognised. */
export interface FormatPlanOptions extends PlanOptions {
  proposalText: string;
  recognition: Recognition;
}

/**
 * Planning side of a format (src/formats/<id>/index.ts). Used by plan, apply FILE and the gate.
 *
 * plan() does, for its backend: load the live state and the proposal into a scratch namespace, list or
 * save the touched objects before and after, diff them in the format's own units (nft tables/chains/rules,
 * iptables tables/chains/rules, firewalld zone items), count the live traffic at risk, run the findings
 * and probes, and compute the stored rollback — all into one PlanT.
 */
export interface ProposalFormat {
  readonly id: FormatIdT;
  /** Human name, for messages: "nft script". */
  readonly label: string;
  /** File name endings that mean this format whatever the content (".firewalld"). */
  readonly extensions?: readonly string[];
  /** From the content alone: null when the text is not this format. Must be cheap and never throw. */
  recognise(text: string): Recognition | null;
  /** Refusals that need no kernel (a clear UserError naming the line); the scratch namespace validates the rest. */
  validate(text: string, path: string): void;
  plan(options: FormatPlanOptions): Promise<PlannedChange>;
}

/** Where a confirmed change is persisted, and how the written file is checked. */
export interface PersistTarget {
  /** The boot file this host loads for the format and the plan's family (`--persist-default`). */
  defaultPath(plan: PlanT): string;
  /**
   * The file's content now (read from the live ruleset of what the format owns). `change.expectedText`:
   * what the change left (pending record, or the version record on a retry).
   */
  render(netns: string | null, change: Pick<PendingRecordT, 'expectedText'>): Promise<string>;
  /** Checks the rendered (and read-back) file holds the change; throws to refuse "persisted" (optional). */
  verify?(text: string, change: Pick<PendingRecordT, 'expectedText'>): void;
}

/**
 * Apply side of a format (src/formats/<id>/runtime.ts): what apply, confirm, rollback and the watchdog
 * need. It imports nothing of planning; the watchdog runs stored steps and only compares texts.
 */
export interface FormatRuntime {
  readonly id: FormatIdT;
  /**
   * The change as transactions, in order: one per backend (and variant and family). nft's own proposal
   * is not among them: apply-change sends it (observed before/after), then runs these.
   */
  applySteps(plan: PlanT): TransactionStepT[];
  /**
   * The stored rollback (pending `rollback.steps`): one transaction per backend, restoring exactly the
   * touched objects; run after the nft rollback (the plan's nft script or the inverse), which is not among them.
   */
  rollbackSteps(plan: PlanT): TransactionStepT[];
  /** What the touched objects look like right after the change (compared at rollback: "overwritten"). */
  expectedText(plan: PlanT): string;
  /**
   * Optional: the inverse of what the change did, from the listings right before and after it (nft text
   * with handles); stored in the pending record and run before the rollback steps, so what others add
   * meanwhile survives. Null when it cannot be computed (the rollback steps then restore whole). Async: the
   * code computing it is loaded only by apply, never by the watchdog (which runs what is stored).
   */
  inverse?(before: string, after: string, plan: PlanT): Promise<RollbackInverseT | null>;
  /** Touched objects that differ now from `pending.expectedText`: someone else changed them in the window. */
  overwritten(pending: PendingRecordT): Promise<string[]>;
  persistence: PersistTarget;
  /**
   * A rollback that needs more than running the stored steps (firewalld: is the daemon answering, else
   * restore its table by nft; then the zone state checked). Absent: the steps are run as they are.
   */
  rollback?(pending: PendingRecordT): Promise<{ error: string | null; note: string | null }>;
  /**
   * Right after the apply steps: what differs from the state the plan predicted (firewalld: the zone
   * items read back). Anything listed rolls the change back as failed. Absent: the steps' exit codes decide.
   */
  verifyApplied?(pending: PendingRecordT): Promise<string[]>;
  /**
   * Made permanent on every confirmation, whatever --persist says (firewalld: the same operations with
   * --permanent, read back). Returns what to record as persistedTo, and an error when it did not hold.
   */
  confirm?(pending: PendingRecordT): Promise<{ persistedTo: string | null; error: string | null }>;
  /**
   * Optional: the save of what the change touched, started right after the change so that it runs beside
   * nft's listing of the applied version (takeSnapshot's `early`). Absent: the snapshot saves after listing.
   */
  earlySave?(plan: PlanT, netns: string | null): EarlySave;
}
