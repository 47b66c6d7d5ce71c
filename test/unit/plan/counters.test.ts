import { describe, expect, it } from 'vitest';
import { countersAtRisk } from '../../../src/plan/counters.js';
import type { RuleModel, RulesetModel } from '../../../src/ruleset/model.js';

const rule = (text: string, counter: { packets: number; bytes: number } | null, handle = 0): RuleModel => ({
  handle,
  key: JSON.stringify([text]),
  text,
  counter,
  xt: false,
  comment: null,
});
const model = (policy: string, rules: RuleModel[]): RulesetModel => ({
  tables: [
    {
      family: 'inet',
      name: 'filter',
      key: 'inet filter',
      sets: [],
      objects: [],
      text: '',
      hasXt: false,
      chains: [{ name: 'input', type: 'filter', hook: 'input', prio: 0, policy, dev: null, rules }],
    },
  ],
});

describe('countersAtRisk', () => {
  it('live counters of removed and changed rules, matched by position, sorted by traffic; no counter marked', () => {
    const live = model('accept', [
      rule('tcp dport 22 counter accept', { packets: 5, bytes: 300 }, 7),
      rule('tcp dport 80 accept', null, 9),
      rule('tcp dport 8080 counter accept', { packets: 90, bytes: 9000 }, 12),
    ]);
    // The scratch copy has other handles and zero counters: live values must win.
    const before = model('accept', [
      rule('tcp dport 22 counter accept', { packets: 0, bytes: 0 }, 2),
      rule('tcp dport 80 accept', null, 3),
      rule('tcp dport 8080 counter accept', { packets: 0, bytes: 0 }, 4),
    ]);
    const after = model('accept', [rule('tcp dport 22 counter accept', null, 2)]);
    expect(
      countersAtRisk(live, before, after, ['inet filter']).map(
        (c) => `${c.kind} ${c.text} ${c.packets} ${c.hasCounter}`,
      ),
    ).toEqual(['removed-rule tcp dport 8080 counter accept 90 true', 'removed-rule tcp dport 80 accept null false']);
  });

  it('a policy change carries the count of a trailing bare `counter` rule (what reaches the policy)', () => {
    const rules = [rule('tcp dport 22 accept', null), rule('counter', { packets: 42, bytes: 4200 })];
    const [c] = countersAtRisk(model('accept', rules), model('accept', rules), model('drop', rules), ['inet filter']);
    expect(c).toMatchObject({ kind: 'policy', packets: 42, bytes: 4200, hasCounter: true });
    expect(c!.text).toContain('policy accept → drop');
    const [d] = countersAtRisk(
      model('accept', rules.slice(0, 1)),
      model('accept', rules.slice(0, 1)),
      model('drop', rules.slice(0, 1)),
      ['inet filter'],
    );
    expect(d).toMatchObject({ kind: 'policy', packets: null, hasCounter: false });
  });
});
