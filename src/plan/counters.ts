import { align } from './lcs.js';
import type { RulesetModel } from '../ruleset/model.js';
import type { CounterAtRiskT } from './schema.js';

/**
 * Live traffic through what the change removes or alters: each removed/changed rule's live counters
 * (matched to the scratch copy by position within its chain), and each chain whose policy changes.
 * Sorted by packets, rules without a counter last.
 */
export function countersAtRisk(
  live: RulesetModel,
  before: RulesetModel,
  after: RulesetModel,
  touched: string[],
): CounterAtRiskT[] {
  const out: CounterAtRiskT[] = [];
  const L = new Map(live.tables.map((t) => [t.key, t]));
  const B = new Map(before.tables.map((t) => [t.key, t]));
  const A = new Map(after.tables.map((t) => [t.key, t]));
  for (const key of touched) {
    const b = B.get(key);
    if (!b) continue;
    for (const chain of b.chains) {
      const liveChain = L.get(key)?.chains.find((c) => c.name === chain.name);
      const afterChain = A.get(key)?.chains.find((c) => c.name === chain.name);
      const ops = align(chain.rules, afterChain?.rules ?? [], (r) => r.key);
      for (let i = 0; i < ops.length; i += 1) {
        const op = ops[i]!;
        if (op.kind !== 'removed') continue;
        const changed = ops[i + 1]?.kind === 'added';
        const liveRule = liveChain?.rules[op.ai];
        const counter = liveRule && liveRule.key === op.a.key ? liveRule.counter : op.a.counter;
        out.push({
          kind: changed ? 'changed-rule' : 'removed-rule',
          table: key,
          chain: chain.name,
          text: op.a.text,
          packets: counter ? counter.packets : null,
          bytes: counter ? counter.bytes : null,
          hasCounter: counter !== null,
        });
      }
      if (chain.hook && afterChain && afterChain.policy !== chain.policy) {
        // nft keeps no policy counter; a bare `counter` as the chain's last rule counts what reaches the policy.
        const last = liveChain?.rules[liveChain.rules.length - 1];
        const counter = last && /^counter(?: comment "[^"]*")?$/.test(last.text) ? last.counter : null;
        out.push({
          kind: 'policy',
          table: key,
          chain: chain.name,
          text: `policy ${chain.policy} → ${afterChain.policy}${counter ? ' (counted by the trailing `counter` rule)' : ''}`,
          packets: counter?.packets ?? null,
          bytes: counter?.bytes ?? null,
          hasCounter: counter !== null,
        });
      }
    }
  }
  return out.sort((x, y) => (y.packets ?? -1) - (x.packets ?? -1));
}
