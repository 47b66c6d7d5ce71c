import { describe, expect, it } from 'vitest';
import { baseRuleCounts, leftoverCopies } from '../../../../src/formats/firewalld/leftovers.js';

// Shapes measured with firewalld 1.3.3: the base version's table (a restore script, no handles) and the
// kernel's table after firewalld was SIGKILLed with a change live and started again.
const BASE = `table inet firewalld
delete table inet firewalld
table inet firewalld {
\tchain filter_INPUT {
\t\ttype filter hook input priority filter + 10; policy accept;
\t\tct state { established, related } accept
\t\tiifname "lo" accept
\t}
\tchain filter_IN_public_allow {
\t\ttcp dport 22 accept
\t\tip6 daddr fe80::/64 udp dport 546 accept
\t}
}
`;
const ADDED = [{ chain: 'filter_IN_public_allow', text: 'tcp dport 443 accept' }];
// Rules as [text, handle]: the killed instance created its rules (handles 1–9), the new one after it (10 on).
type R = [string, number];
const listing = (input: R[], allow: R[]): string => {
  const rules = (xs: R[]) => xs.map(([x, h]) => `\t\t${x} # handle ${h}`).join('\n');
  return `table inet firewalld { # handle 7\n\tchain filter_INPUT { # handle 1\n\t\ttype filter hook input priority filter + 10; policy accept;\n${rules(input)}\n\t}\n\tchain filter_IN_public_allow { # handle 2\n${rules(allow)}\n\t}\n}\n`;
};
const OLD_INPUT: R[] = [
  ['ct state { established, related } accept', 3],
  ['iifname "lo" accept', 4],
];
const NEW_INPUT: R[] = [
  ['ct state { established, related } accept', 12],
  ['iifname "lo" accept', 13],
];
const INPUT = OLD_INPUT.map(([t], i): R => [t, i + 3]);

describe('rules a killed firewalld left in its table', () => {
  it('counts the base rules per chain, declarations aside', () => {
    const counts = baseRuleCounts(BASE);
    expect(counts.size).toBe(4);
    expect([...counts.values()]).toEqual([1, 1, 1, 1]);
  });

  it('the old instance kept, the new one added: the change rule (oldest copy) is a leftover', () => {
    const now = listing(
      [...OLD_INPUT, ...NEW_INPUT],
      [
        ['tcp dport 22 accept', 5],
        ['tcp dport 443 accept', 9],
        ['tcp dport 22 accept', 14],
        ['ip6 daddr fe80::/64 udp dport 546 accept', 15],
      ],
    );
    const left = leftoverCopies(now, BASE, ADDED);
    expect(left.map((c) => [c.chain, c.text])).toEqual([['filter_IN_public_allow', 'tcp dport 443 accept']]);
  });

  it("someone opened 443/tcp after the restart: only the old table's copy is a leftover, not theirs", () => {
    const now = listing(
      [...OLD_INPUT, ...NEW_INPUT],
      [
        ['tcp dport 22 accept', 5],
        ['tcp dport 443 accept', 9],
        ['tcp dport 22 accept', 14],
        ['ip6 daddr fe80::/64 udp dport 546 accept', 15],
        ['tcp dport 443 accept', 21],
      ],
    );
    const left = leftoverCopies(now, BASE, ADDED);
    expect(left.map((c) => c.handle)).toEqual([9]);
  });

  it('a reloaded or cleanly restarted firewalld (no doubled rules): nothing, even when someone opened 443/tcp', () => {
    const now = listing(INPUT, [
      'tcp dport 22 accept',
      'ip6 daddr fe80::/64 udp dport 546 accept',
      'tcp dport 443 accept',
    ]);
    expect(leftoverCopies(now, BASE, ADDED)).toEqual([]);
  });

  it('no table, or a change that added no rule: nothing', () => {
    expect(leftoverCopies('', BASE, ADDED)).toEqual([]);
    expect(
      leftoverCopies(listing([...INPUT, ...INPUT], ['tcp dport 22 accept', 'tcp dport 22 accept']), BASE, []),
    ).toEqual([]);
  });
});
