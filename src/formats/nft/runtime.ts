import type { PlanT } from '../../plan/schema.js';
import type { FormatRuntime, TransactionStepT } from '../types.js';
import { DEFAULT_PERSIST_PATH, renderPersistFile } from '../../apply/persist.js';

/**
 * nft's apply side. The proposal itself (one `nft -f -` transaction) and its rollback (the plan's nft
 * script, then `iptables-nft-restore -c` for touched iptables-nft tables, or the inverse first) are run by
 * apply-change and execute-rollback, which fingerprint the touched tables around them. The steps here
 * are what follows them: the iptables chains a restore of a stored version (rollback VERSION) brings back.
 */
export const nftRuntime: FormatRuntime = {
  id: 'nft',
  applySteps: (plan: PlanT): TransactionStepT[] => plan.transaction?.apply ?? [],
  rollbackSteps: (plan: PlanT): TransactionStepT[] => plan.transaction?.rollback ?? [],
  expectedText: (plan: PlanT): string => plan.result.touchedText,
  // Loaded here, not at the top: the watchdog imports this runtime and must not load what computes inverses.
  inverse: async (before, after, plan) => {
    const { inverseDelta } = await import('../../apply/inverse.js');
    try {
      const touched = plan.touchedTables.filter((t) => !t.iptablesNft);
      return inverseDelta(before, after, touched, plan.rollback.nftScript);
    } catch {
      return null;
    }
  },
  // The touched tables as the kernel lists them now against what the change left (src/apply/observe.ts).
  overwritten: async (pending) => {
    const { expectedAfter, observeTouched } = await import('../../apply/execute-rollback.js');
    const { describeDifferences } = await import('../../apply/observe.js');
    return describeDifferences(expectedAfter(pending), await observeTouched(pending));
  },
  persistence: { defaultPath: () => DEFAULT_PERSIST_PATH, render: (netns) => renderPersistFile(netns) },
};
