import { resolve } from 'node:path';
import { HistoryStore } from '../history/store.js';
import { debugLog } from '../run/debug.js';
import { releaseLock } from '../pending/store.js';
import { createPlanWithBase, type PlanOptions } from '../plan/create-plan.js';
import { readProposal } from '../plan/proposal-file.js';
import { verifyPlanFile } from '../plan/plan-file.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';
import type { FindingT, PlanT } from '../plan/schema.js';
import { acquireLock } from './lock.js';
import { newChangeId } from './ids.js';
import { startGuards } from '../watchdog/arm.js';
import { completeSnapshot } from '../history/complete-snapshot.js';
import { restoreProposal, type RestoreProposal } from './restore-plan.js';
import { applyChange, driftError, refuseBlocked, type AppliedChange, type ApplyOptions } from './apply-change.js';

/** Where a change comes from; every one of them passes the same gate. */
export type ChangeSource =
  | { kind: 'file'; path: string; pairWith?: string | null }
  | { kind: 'plan'; path: string }
  | { kind: 'version'; ref: string };

/** What the gate decided on, shown before any question. */
export interface GatedChange {
  /** The plan made on this host, against the live ruleset, with this host's session: it decides. */
  plan: PlanT;
  /** A plan file's own findings and date: history, shown, never deciding. */
  recorded: { createdAt: string; findings: FindingT[]; base: PlanT['base'] } | null;
  restore: RestoreProposal | null;
}

export type GateResult =
  | { status: 'applied'; gated: GatedChange; applied: AppliedChange }
  | { status: 'nothing'; restore: RestoreProposal };

export interface GateOptions extends Omit<ApplyOptions, 'plan' | 'held' | 'kind'> {
  source: ChangeSource;
  probes: boolean;
  /** Admin addresses to probe for when there is no SSH_CONNECTION (--admin-address, FWSAFE_ADMIN_ADDRESS). */
  adminAddresses?: string[] | string;
  /** Replay the host's flows through the change (`--flows`, `--flows-file`): FLOW_* findings through the gate. */
  flows?: PlanOptions['flows'];
  /** iptables proposals: family, backend, --replace-tables (src/cli/format-flags.ts). */
  iptables?: PlanOptions['iptables'];
  /** Shows the host's plan (and a plan file's recorded findings). Called before any question. */
  show: (gated: GatedChange) => void;
  /** Asks the admin; true when it asked (time passed: the live ruleset is listed again and compared). */
  ask: () => Promise<boolean>;
}

/**
 * The one gate every change of the live ruleset passes: `apply FILE`, `apply --plan`, `rollback VERSION`.
 * A plan file is verified first (format, proposal hash: exit 12 when tampered). Then, under the lock
 * taken before the live snapshot, the proposal's text — read once from the user's file, or a plan's
 * recorded text, or the restore of a version — is planned on this host against the live ruleset:
 * kernel validation in a scratch namespace, diff, counters, findings, real-packet probes. A plan file
 * whose base is not the live ruleset is drift (exit 8). Blocking findings refuse (exit 5, unless
 * forced) before any question; the rollback is the one built here from the base taken under the lock.
 */
export async function gateChange(options: GateOptions): Promise<GateResult> {
  const { source } = options;
  const planFile = source.kind === 'plan' ? verifyPlanFile(source.path) : null;
  // A plan made for another host or namespace is refused (exit 15) unless --from-elsewhere.
  if (planFile)
    assertTakenHere('The plan', planFile.where, currentWhere(options.netns), options.fromElsewhere ?? false);
  // Two files (rules.v4 + rules.v6) are one change: one proposal text, labelled with both.
  const pair =
    source.kind === 'file' && source.pairWith
      ? (await import('../formats/registry.js')).readProposalPair([source.path, source.pairWith])
      : null;
  const fileText = pair?.text ?? (source.kind === 'file' ? readProposal(source.path) : null);
  const store = new HistoryStore(options.stateDir);
  store.init();
  const changeId = newChangeId();
  acquireLock(store.paths, changeId, options.netns);
  let handedOver = false;
  try {
    // The guards start now and wait for the pending record: their start-up overlaps the plan. They
    // leave by themselves when the lock is released without one (a refusal, drift, nothing to do).
    const guards = await startGuards(store.paths, changeId);
    let restore: RestoreProposal | null = null;
    let text: string;
    let label: string;
    if (source.kind === 'version') {
      restore = await restoreProposal({
        netns: options.netns,
        stateDir: options.stateDir,
        version: source.ref,
        fromElsewhere: options.fromElsewhere,
      });
      if (restore.text === null && restore.iptables.apply.length === 0) return { status: 'nothing', restore };
      // Only iptables chains differ: an nft script that changes nothing carries them (steps attached below).
      text = restore.text ?? '# fwsafe: the nft tables already match; iptables chains are restored natively\n';
      label = `version:${restore.versionId}`;
    } else if (planFile) {
      text = planFile.proposal.text;
      label = planFile.proposal.path;
    } else {
      text = fileText!;
      label = pair?.label ?? resolve((source as { path: string }).path);
    }
    const planned = await createPlanWithBase({
      netns: options.netns,
      proposalPath: label,
      proposalText: text,
      stateDir: options.stateDir,
      probes: { enabled: options.probes },
      flows: options.flows,
      adminAddresses: options.adminAddresses,
      iptables: options.iptables,
    });
    debugLog('apply: planned');
    let { baseSnapshot } = planned;
    // A restore's iptables chains: one iptables-restore per variant and family after the nft script, and
    // their rollback after nft's (src/formats/nft/runtime.ts); named in the diff.
    const ipt = restore?.iptables;
    const plan: PlanT = ipt?.apply.length
      ? {
          ...planned.plan,
          transaction: { apply: ipt.apply, rollback: ipt.rollback },
          diff: {
            ...planned.plan.diff,
            tables: [...planned.plan.diff.tables, ...ipt.chains.map((table) => ({ kind: 'changed' as const, table }))],
          },
        }
      : planned.plan;
    if (planFile) {
      // A plan file whose hash covers the whole ruleset (made before plans were scoped to their tables,
      // issue 18): compared with the whole live ruleset (proven by the nft generation, or listed).
      if (planFile.base.tables === undefined && plan.base.tables !== undefined && baseSnapshot)
        baseSnapshot = await completeSnapshot(store, options.netns, baseSnapshot);
      const live = planFile.base.tables === undefined && baseSnapshot ? baseSnapshot.hash : plan.base.hash;
      if (planFile.base.hash !== live) throw driftError(planFile.base.hash, live);
    }
    const gated: GatedChange = {
      plan,
      recorded: planFile ? { createdAt: planFile.createdAt, findings: planFile.findings, base: planFile.base } : null,
      restore,
    };
    options.show(gated);
    refuseBlocked(plan, options.force);
    const asked = await options.ask();
    handedOver = true;
    // From here applyChange owns the lock: it releases it on every failure before a pending record exists.
    const held = { changeId, baseSnapshot: asked ? null : baseSnapshot, guards };
    const applied = await applyChange({ ...options, plan, kind: restore ? 'restore' : 'apply', held });
    return { status: 'applied', gated, applied };
  } finally {
    if (!handedOver) releaseLock(store.paths);
  }
}
