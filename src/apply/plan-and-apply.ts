import { HistoryStore } from '../history/store.js';
import { releaseLock } from '../pending/store.js';
import { createPlanWithBase } from '../plan/create-plan.js';
import type { PlanT } from '../plan/schema.js';
import { acquireLock } from './lock.js';
import { newChangeId } from './ids.js';
import { applyChange, refuseBlocked, type AppliedChange, type ApplyOptions } from './apply-change.js';

export interface PlanAndApplyOptions extends Omit<ApplyOptions, 'plan' | 'held'> {
  proposalPath: string;
  probes: boolean;
  /** Shows the plan and may ask the admin; returns true when it asked (time passed: the ruleset is listed again). */
  review: (plan: PlanT) => Promise<boolean>;
}

/**
 * `fwsafe apply FILE`: plans and applies under one lock, taken before the plan's live snapshot, the way
 * `terraform apply` plans and applies under one state lock. When nobody was asked anything in between,
 * the plan's snapshot is the base version and the ruleset is not listed a second time (at 50k rules
 * that listing is seconds); after a question the live ruleset is listed again and any drift refuses.
 */
export async function planAndApply(options: PlanAndApplyOptions): Promise<{ plan: PlanT; applied: AppliedChange }> {
  const store = new HistoryStore(options.stateDir);
  store.init();
  const changeId = newChangeId();
  acquireLock(store.paths, changeId, options.netns);
  let handedOver = false;
  try {
    const { plan, baseSnapshot } = await createPlanWithBase({ netns: options.netns, proposalPath: options.proposalPath, stateDir: options.stateDir, probes: { enabled: options.probes } });
    const asked = await options.review(plan);
    refuseBlocked(plan, options.force);
    handedOver = true;
    // From here applyChange owns the lock: it releases it on every failure before a pending record exists.
    const applied = await applyChange({ ...options, plan, held: { changeId, baseSnapshot: asked ? null : baseSnapshot } });
    return { plan, applied };
  } finally {
    if (!handedOver) releaseLock(store.paths);
  }
}
