import { describe, expect, it } from 'vitest';
import { align } from '../../../src/plan/lcs.js';
import { diffRules } from '../../../src/plan/diff.js';
import type { RuleModel } from '../../../src/ruleset/model.js';

const rule = (text: string, handle = 1): RuleModel => ({
  handle,
  key: text,
  text,
  counter: null,
  xt: false,
  comment: null,
});

describe('align', () => {
  it('keeps common rules and finds the inserted and removed ones', () => {
    const ops = align(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd', 'e'], (s) => s);
    expect(ops.map((o) => o.kind)).toEqual(['same', 'removed', 'added', 'same', 'same', 'added']);
  });
  it('is linear on long identical prefixes and suffixes', () => {
    const a = Array.from({ length: 50_000 }, (_, i) => `r${i}`);
    const b = [...a.slice(0, 25_000), 'new', ...a.slice(25_000)];
    const ops = align(a, b, (s) => s);
    expect(ops.filter((o) => o.kind !== 'same')).toEqual([{ kind: 'added', b: 'new', bi: 25_000 }]);
  });
});

describe('diffRules', () => {
  it('pairs a removed rule followed by an added one as changed, ignoring handles', () => {
    const before = [rule('ct state established accept', 3), rule('tcp dport 22 accept', 4), rule('drop', 5)];
    const after = [rule('ct state established accept', 9), rule('tcp dport 2222 accept', 10), rule('drop', 11)];
    expect(diffRules('inet f', 'input', before, after)).toEqual([
      {
        kind: 'changed',
        table: 'inet f',
        chain: 'input',
        text: 'tcp dport 2222 accept',
        oldText: 'tcp dport 22 accept',
        position: 1,
      },
    ]);
  });
  it('reports pure additions and removals with positions', () => {
    const changes = diffRules('t', 'c', [rule('a'), rule('b')], [rule('b'), rule('c')]);
    expect(changes.map((c) => [c.kind, c.text, c.position])).toEqual([
      ['removed', 'a', 0],
      ['added', 'c', 1],
    ]);
  });
});
