import { describe, expect, it } from 'vitest';
import { align } from '../../../src/plan/lcs.js';

const id = (x: string): string => x;
const kinds = (ops: ReturnType<typeof align<string>>): string => ops.map((o) => o.kind[0]).join('');

describe('align', () => {
  it('keeps the common rules and reports a removed+added pair as adjacent', () => {
    const ops = align(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd'], id);
    expect(kinds(ops)).toBe('srass');
    expect(ops[1]).toMatchObject({ kind: 'removed', a: 'b', ai: 1 });
    expect(ops[2]).toMatchObject({ kind: 'added', b: 'x', bi: 1 });
  });

  it('aligns a long chain shifted by one rule as one removal and one addition', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `r${i}`);
    const b = Array.from({ length: 5000 }, (_, i) => `r${i + 1}`);
    const ops = align(a, b, id);
    expect(ops.filter((o) => o.kind === 'removed')).toEqual([{ kind: 'removed', a: 'r0', ai: 0 }]);
    expect(ops.filter((o) => o.kind === 'added')).toEqual([{ kind: 'added', b: 'r5000', bi: 4999 }]);
    expect(ops.filter((o) => o.kind === 'same')).toHaveLength(4999);
  });

  it('handles empty sides and wholly different lists', () => {
    expect(kinds(align([], ['a', 'b'], id))).toBe('aa');
    expect(kinds(align(['a', 'b'], [], id))).toBe('rr');
    const ops = align(['a', 'b'], ['c', 'd'], id);
    expect(ops.filter((o) => o.kind === 'same')).toHaveLength(0);
    expect(ops).toHaveLength(4);
  });

  it('indexes every op into its own list', () => {
    const a = ['p', 'q', 'r', 's', 't'];
    const b = ['q', 'r', 'x', 't', 'u'];
    for (const op of align(a, b, id)) {
      if (op.kind !== 'added') expect(a[op.ai]).toBe(op.a);
      if (op.kind !== 'removed') expect(b[op.bi]).toBe(op.b);
    }
  });
});
