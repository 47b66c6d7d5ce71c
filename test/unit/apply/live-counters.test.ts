import { describe, expect, it } from 'vitest';
import { parseCounters, selectWatched } from '../../../src/apply/live-counters.js';

// `nft -a list table` output (nft 1.0.6): a set's counted elements after a chain, a chain binding.
const LISTING = `table inet t { # handle 4
\tchain c { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 22 counter packets 3 bytes 180 accept comment "a#b" # handle 4
\t\tudp dport 53 jump {
\t\t\tcounter packets 7 bytes 420
\t\t\taccept
\t\t} # handle 8
\t\taccept # handle 9
\t}

\tset s { # handle 3
\t\ttype ipv4_addr
\t\tflags dynamic
\t\telements = { 192.0.2.1 counter packets 1 bytes 60 }
\t}
}
`;

describe('live counters', () => {
  it('are the counted rules of each chain: a binding is one rule, set elements are no rule', () => {
    expect(parseCounters(LISTING)).toEqual([
      { table: 'inet t', chain: 'c', text: 'tcp dport 22 counter accept comment "a#b"', packets: 3, bytes: 180 },
      { table: 'inet t', chain: 'c', text: 'udp dport 53 jump { counter; accept; }', packets: 7, bytes: 420 },
    ]);
  });

  it('watches the changed rules when it finds them, whatever their counter values', () => {
    const watched = selectWatched(parseCounters(LISTING), ['udp dport 53 jump { counter packets 0 bytes 0; accept; }']);
    expect(watched.map((c) => c.packets)).toEqual([7]);
  });
});
