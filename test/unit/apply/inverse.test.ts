import { describe, expect, it } from 'vitest';
import { inverseDelta } from '../../../src/apply/inverse.js';

const table = (rules: [string, number][], extra = ''): string =>
  `table inet t { # handle 1\n${extra}\tchain c { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n${rules.map(([r, h]) => `\t\t${r} # handle ${h}`).join('\n')}\n\t}\n}\n`;
const T = [{ family: 'inet', name: 't' }];

describe('inverse delta', () => {
  it('re-inserts removed rules after their surviving neighbour, in order; deletes added rules by handle', () => {
    const before = table([
      ['tcp dport 1 accept', 2],
      ['tcp dport 2 accept', 3],
      ['tcp dport 3 counter packets 5 bytes 300 accept', 4],
      ['tcp dport 4 accept', 5],
    ]);
    const after = table([
      ['tcp dport 1 accept', 2],
      ['tcp dport 9 accept', 7],
      ['tcp dport 4 accept', 5],
    ]);
    const inv = inverseDelta(before, after, T);
    expect(inv.nftScript).toBe(
      [
        'delete rule inet t c handle 7',
        // reversed: each lands right after handle 2, so they end up 2, 3 in order
        'add rule inet t c position 2 tcp dport 3 counter packets 5 bytes 300 accept',
        'add rule inet t c position 2 tcp dport 2 accept',
        '',
      ].join('\n'),
    );
    expect(inv.wholeTables).toEqual([]);
  });

  it('rules removed at the head go before the first survivor; a policy change is put back', () => {
    const before = table([
      ['tcp dport 1 accept', 2],
      ['tcp dport 2 accept', 3],
      ['tcp dport 3 accept', 4],
    ]);
    const after = table([['tcp dport 3 accept', 4]]).replace('policy accept', 'policy drop');
    expect(inverseDelta(before, after, T).nftScript).toBe(
      [
        'chain inet t c { type filter hook input priority filter; policy accept; }',
        'insert rule inet t c position 4 tcp dport 1 accept',
        'insert rule inet t c position 4 tcp dport 2 accept',
        '',
      ].join('\n'),
    );
  });

  it('elements of static sets are undone; dynamic sets are left to the packets that fill them', () => {
    const set = (name: string, flags: string, elements: string) =>
      `\tset ${name} { # handle 9\n\t\ttype ipv4_addr\n${flags}\t\telements = { ${elements} }\n\t}\n\n`;
    const before = table(
      [['tcp dport 1 accept', 2]],
      set('s', '', '10.0.0.1, 10.0.0.2') + set('d', '\t\tflags dynamic\n', '10.9.9.9'),
    );
    const after = table(
      [['tcp dport 1 accept', 2]],
      set('s', '', '10.0.0.2, 10.0.0.3') + set('d', '\t\tflags dynamic\n', '10.9.9.8'),
    );
    expect(inverseDelta(before, after, T).nftScript).toBe(
      'delete element inet t s { 10.0.0.3 }\nadd element inet t s { 10.0.0.1 }\n',
    );
  });

  it('a change it cannot express (a hook, a named object) restores that table whole, and a created table is deleted', () => {
    const before = table([['tcp dport 1 accept', 2]]);
    const after = before.replace('hook input', 'hook output');
    const inv = inverseDelta(before, `${after}table ip new { # handle 2\n}\n`, [...T, { family: 'ip', name: 'new' }]);
    expect(inv.wholeTables).toEqual(['inet t: the hook of chain c changed']);
    expect(inv.nftScript).toContain('delete table ip new\n');
    expect(inv.nftScript).toContain('table inet t\ndelete table inet t\ntable inet t {');
  });
});
