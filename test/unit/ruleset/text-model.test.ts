import { describe, expect, it } from 'vitest';
import { textModel } from '../../../src/ruleset/text-model.js';
import { isIptablesNftTable } from '../../../src/backends/iptables-nft-tables.js';

const LISTING = [
  'table ip filter { # handle 1',
  '\tchain INPUT { # handle 1',
  '\t\ttype filter hook input priority filter; policy drop;',
  '\t\ttcp dport 25 xt match recent counter packets 3 bytes 180 accept # handle 2',
  '\t\ttcp dport 26 counter packets 0 bytes 0 accept # handle 3',
  '\t}',
  '}',
  'table inet fw { # handle 2',
  '\tset allow { # handle 4',
  '\t\ttype ipv4_addr',
  '\t\telements = { 10.0.0.1, 10.0.0.2 }',
  '\t}',
  '\tchain input { # handle 1',
  '\t\ttype filter hook input priority -10; policy accept;',
  '\t\tip saddr @allow jump allowed # handle 5',
  '\t}',
  '\tchain allowed { # handle 2',
  '\t\taccept # handle 6',
  '\t}',
  '}',
  '',
].join('\n');

describe('textModel', () => {
  it('outlines tables, chains, hooks, policies, rules, counters and xt matches from text alone', () => {
    const m = textModel(LISTING);
    expect(m.tables.map((t) => t.key)).toEqual(['ip filter', 'inet fw']);
    const [filter, fw] = m.tables;
    expect(filter!.hasXt).toBe(true);
    expect(isIptablesNftTable(filter!)).toBe(true);
    expect(filter!.chains[0]).toMatchObject({
      name: 'INPUT',
      type: 'filter',
      hook: 'input',
      prio: null,
      policy: 'drop',
    });
    expect(filter!.chains[0]!.rules.map((r) => [r.handle, r.counter, r.xt])).toEqual([
      [2, { packets: 3, bytes: 180 }, true],
      [3, { packets: 0, bytes: 0 }, false],
    ]);
    expect(fw!.hasXt).toBe(false);
    expect(fw!.sets.map((s) => s.name)).toEqual(['allow']);
    expect(fw!.chains.map((c) => [c.name, c.hook, c.prio, c.rules.length])).toEqual([
      ['input', 'input', -10, 1],
      ['allowed', null, null, 1],
    ]);
    expect(fw!.chains[1]!.rules[0]!.text).toBe('accept');
  });

  it('an empty listing is an empty model', () => {
    expect(textModel('')).toEqual({ tables: [] });
  });
});
