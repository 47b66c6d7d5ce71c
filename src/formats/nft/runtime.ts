import type { PlanT } from '../../plan/schema.js';
import type { FormatRuntime, TransactionStepT } from '../types.js';
import { DEFAULT_PERSIST_PATH, renderPersistFile } from '../../apply/persist.js';
import { findOverwritten } from './touched.js';
import { inverseDelta } from '../../apply/inverse.js';

/**
 * nft's apply side: the proposal is one `nft -f -` transaction; the rollback is the plan's nft script
 * (then iptables-nft-restore for touched iptables-nft tables, which never go through nft text).
 */
export const nftRuntime: FormatRuntime = {
  id: 'nft',
  // A restore of a stored version (rollback VERSION) also carries iptables transactions: they follow nft's.
  applySteps: (plan: PlanT): TransactionStepT[] => [
    ...(plan.proposal.text.trim() || !plan.transaction ? [{ program: 'nft' as const, args: ['-f', '-'], input: plan.proposal.text, what: 'nft proposal' }] : []),
    ...(plan.transaction?.apply ?? []),
  ],
  rollbackSteps: (plan: PlanT): TransactionStepT[] => {
    const steps: TransactionStepT[] = [];
    if (plan.rollback.nftScript.trim()) steps.push({ program: 'nft', args: ['-f', '-'], input: plan.rollback.nftScript, what: 'nft tables' });
    // `-w FILE` is misparsed ("wait seconds not numeric"): pass the seconds and feed stdin.
    const { v4, v6 } = plan.rollback.iptablesNft;
    if (v4) steps.push({ program: 'iptables-nft-restore', args: ['-w', '5'], input: v4, what: 'iptables-nft v4 tables' });
    if (v6) steps.push({ program: 'ip6tables-nft-restore', args: ['-w', '5'], input: v6, what: 'iptables-nft v6 tables' });
    return [...steps, ...(plan.transaction?.rollback ?? [])];
  },
  expectedText: (plan: PlanT): string => plan.result.touchedText,
  inverse: (before, after, plan) => {
    try {
      return inverseDelta(before, after, plan.touchedTables.filter((t) => !t.iptablesNft));
    } catch {
      return null;
    }
  },
  overwritten: (pending) => findOverwritten(pending.netns, pending.touchedTables, pending.expectedText),
  persistence: { defaultPath: () => DEFAULT_PERSIST_PATH, render: (netns) => renderPersistFile(netns) },
};
