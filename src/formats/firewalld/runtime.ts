import type { PlanT } from '../../plan/schema.js';
import type { PendingRecordT } from '../../pending/schema.js';
import type { FormatRuntime, TransactionStepT } from '../types.js';
import { runSteps } from '../steps.js';
import { busFromEnv, firewalldPid, isRunning, readState, type FirewalldTarget } from './client.js';
import { procStat } from '../../watchdog/proc-stat.js';
import { mismatches, type StateDiff } from './state.js';
import { FirewalldPending, type FirewalldPendingT } from './schema.js';
import { removeLeftovers } from './leftovers.js';

const SYSTEM_BUS = 'unix:path=/run/dbus/system_bus_socket';
export const PERMANENT_TARGET = 'firewalld permanent configuration';
const FALLBACK_WHAT = 'fallback: table inet firewalld restored by nft';

const step = (argv: string[], bus: string | null, what: string): TransactionStepT => ({
  program: 'firewall-cmd',
  args: argv,
  input: '',
  env: { DBUS_SYSTEM_BUS_ADDRESS: bus ?? SYSTEM_BUS },
  what,
});

function partOf(plan: PlanT): FirewalldPendingT {
  if (!plan.firewalld) throw new Error('a firewalld plan without its firewalld part');
  // The firewalld this process talks to now (apply): recorded, so the watchdog and a confirm from a new session reach it.
  const nftAdded = plan.diff.rules
    .filter((r) => r.table === 'inet firewalld' && r.kind !== 'removed')
    .map((r) => ({ chain: r.chain, text: r.text }));
  return { ...plan.firewalld, bus: busFromEnv(), nftAdded };
}

/** What the pending record keeps of a firewalld change (its expectedText): operations, zone diff, inverse, bus. */
export function pendingPart(pending: PendingRecordT): FirewalldPendingT {
  return FirewalldPending.parse(JSON.parse(pending.expectedText));
}

const targetOf = (pending: PendingRecordT, part: FirewalldPendingT): FirewalldTarget => ({
  netns: pending.netns,
  bus: part.bus,
});
const diffOf = (part: FirewalldPendingT): StateDiff => part.diff;

/**
 * Does firewalld answer? Asked briefly; when it does not answer in time although its process is alive and
 * not stopped (a busy machine: 3 s was too short at load averages of 15), asked again, longer. Stopped
 * (SIGSTOP), a zombie or gone: hung for good, no second wait.
 */
async function answers(target: FirewalldTarget): Promise<boolean> {
  if (await isRunning(target, 3_000)) return true;
  const pid = await firewalldPid(target);
  const stat = pid === null ? null : procStat(pid);
  if (stat === null || /^[TtZX]$/.test(stat.state)) return false;
  return isRunning(target, 12_000);
}

/**
 * The rollback: when firewalld answers, the inverse operations (idempotent, only the items the change
 * touched), then the zone state is read back and compared with the recorded one. When it does not answer
 * (hung, killed), its table is restored by nft from the base version — firewalld's own view is then stale,
 * and the record says so. Never --reload: it would discard others' runtime-only changes.
 */
async function rollback(pending: PendingRecordT): Promise<{ error: string | null; note: string | null }> {
  const part = pendingPart(pending);
  const target = targetOf(pending, part);
  const stored = pending.rollback.steps ?? [];
  const fwSteps = stored.filter((s) => s.program === 'firewall-cmd');
  const fallback = stored.filter((s) => s.program !== 'firewall-cmd');
  let why = 'firewalld did not answer on its bus';
  if (await answers(target)) {
    let gone = false;
    try {
      const now = await readState(target);
      gone = mismatches(now, diffOf(part), 'before').length === 0;
    } catch {
      // compared again below
    }
    const failures = await runSteps(pending.netns, fwSteps, { stopOnError: false, timeoutMs: 8_000 });
    try {
      const left = mismatches(await readState(target), diffOf(part), 'before');
      if (left.length === 0) {
        if (!gone) return { error: null, note: null };
        const note =
          "the change was no longer in firewalld's runtime configuration (firewalld restarted or reloaded in the window: it loaded the permanent configuration, which never held the change); the inverse operations changed nothing";
        // A firewalld killed and restarted keeps the old table's rules in the kernel, the change's among them.
        const stale = await removeLeftovers(pending.netns, pending.rollback.nftScript, part.nftAdded ?? []);
        const kept = stale.removed.length
          ? `; the killed firewalld's old table still held ${stale.removed.length} of the change's rules in the kernel: deleted (${stale.removed.join('; ')}); firewalld's own rules stay there twice until a firewall-cmd --reload (which also drops runtime-only changes)`
          : '';
        if (stale.error)
          return {
            error: `the kernel may still hold the change's rules left by a killed firewalld: ${stale.error}`,
            note: note + kept,
          };
        return { error: null, note: note + kept };
      }
      if (await answers(target)) {
        return {
          error: `firewalld still differs from the recorded state after the inverse operations: ${left.slice(0, 6).join('; ')}${failures.length ? ` (${failures.map((f) => f.message).join('; ')})` : ''}`,
          note: null,
        };
      }
      why = 'firewalld stopped answering during the rollback';
    } catch {
      why = 'firewalld stopped answering during the rollback';
    }
  }
  if (fallback.length === 0) return { error: `${why}; no nft fallback was stored`, note: null };
  const failed = await runSteps(pending.netns, fallback, { stopOnError: false, timeoutMs: 30_000 });
  if (failed.length)
    return { error: `${why}, and the nft fallback failed: ${failed.map((f) => f.message).join('; ')}`, note: null };
  return {
    error: null,
    note: `${why}: its table inet firewalld was restored by nft from the base version (the kernel is as before the change; firewalld's own runtime view still holds the change until it is restarted or reloaded)`,
  };
}

/** Confirm: the same operations with --permanent (never --runtime-to-permanent), then read back. */
async function confirm(pending: PendingRecordT): Promise<{ persistedTo: string | null; error: string | null }> {
  const part = pendingPart(pending);
  const target = targetOf(pending, part);
  const steps = part.ops.map((op) =>
    step(
      op.argv[0]?.startsWith('--set-default-zone') ? op.argv : ['--permanent', ...op.argv],
      part.bus,
      `line ${op.line}, permanent`,
    ),
  );
  const failures = await runSteps(pending.netns, steps, { stopOnError: false, timeoutMs: 8_000 });
  let left: string[];
  try {
    left = mismatches(await readState(target, { permanent: true }), diffOf(part), 'after');
  } catch (error) {
    return { persistedTo: null, error: `not made permanent: ${(error as Error).message}` };
  }
  if (left.length === 0) return { persistedTo: PERMANENT_TARGET, error: null };
  return {
    persistedTo: null,
    error: `not made permanent: the permanent configuration read back differs: ${left.slice(0, 6).join('; ')}${failures.length ? ` (${failures.map((f) => f.message).join('; ')})` : ''}`,
  };
}

/** firewalld's apply side: runtime firewall-cmd operations; inverse operations to roll back; --permanent on confirm. */
export const firewalldRuntime: FormatRuntime = {
  id: 'firewalld',
  applySteps: (plan) => {
    const part = partOf(plan);
    return part.ops.map((op) => step(op.argv, part.bus, `line ${op.line}: ${op.text}`.slice(0, 200)));
  },
  rollbackSteps: (plan) => {
    const part = partOf(plan);
    const inverse = part.rollbackOps.map((argv) => step(argv, part.bus, 'inverse operation'));
    const nft = plan.rollback.nftScript.trim()
      ? [{ program: 'nft' as const, args: ['-f', '-'], input: plan.rollback.nftScript, what: FALLBACK_WHAT }]
      : [];
    return [...inverse, ...nft];
  },
  // The zone state the change leaves (its diff), with the operations and the bus: what rollback, confirm and the check need.
  expectedText: (plan) => JSON.stringify(partOf(plan)),
  overwritten: async (pending) => {
    const part = pendingPart(pending);
    // A hung firewalld must not delay the rollback by the listing's timeouts: asked briefly first.
    if (!(await isRunning(targetOf(pending, part), 2_000))) return [];
    return mismatches(await readState(targetOf(pending, part)), diffOf(part), 'after');
  },
  persistence: {
    defaultPath: () => PERMANENT_TARGET,
    render: () =>
      Promise.reject(
        new Error(
          'firewalld changes are made permanent through firewalld on confirm, not written to a file: drop --persist',
        ),
      ),
  },
  verifyApplied: async (pending) => {
    const part = pendingPart(pending);
    return mismatches(await readState(targetOf(pending, part)), diffOf(part), 'after');
  },
  rollback,
  confirm,
};
