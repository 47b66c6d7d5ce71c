import { describe, expect, it } from 'vitest';
import {
  counterOf,
  handleOf,
  normaliseRulesetText,
  splitTables,
  withoutCounterValues,
  withoutHandle,
} from '../../../src/ruleset/text.js';
import { contentHash } from '../../../src/snapshot/hash.js';

const LISTING = `table inet filter { # handle 1
\tset allow { # handle 2
\t\ttype ipv4_addr
\t\telements = { 10.0.0.1 expires 29s }
\t}

\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy drop;
\t\ttcp dport 22 counter packets 12 bytes 720 accept comment "ssh {x}" # handle 5
\t\tip saddr @allow drop # handle 6
\t}
}
table ip nat { # handle 3
\tchain post { # handle 1
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tmasquerade # handle 2
\t}
}
`;

describe('splitTables', () => {
  it('splits table blocks and maps rule handles to normalised text', () => {
    const tables = splitTables(LISTING);
    expect(tables.map((t) => `${t.family} ${t.name}`)).toEqual(['inet filter', 'ip nat']);
    expect(tables[0]!.rulesByHandle.get(5)).toBe('tcp dport 22 counter accept comment "ssh {x}"');
    expect(tables[0]!.rulesByHandle.get(6)).toBe('ip saddr @allow drop');
    expect(tables[1]!.rulesByHandle.get(2)).toBe('masquerade');
  });
});

describe('normaliseRulesetText / contentHash', () => {
  it('ignores handles, counters, expiry and table order', () => {
    const other = LISTING.replace(/# handle \d+/g, '# handle 99')
      .replace('packets 12 bytes 720', 'packets 0 bytes 0')
      .replace('expires 29s', 'expires 3s');
    const [a, b] = splitTables(other);
    const reordered = `${b!.raw}\n${a!.raw}\n`;
    expect(normaliseRulesetText(reordered)).toBe(normaliseRulesetText(LISTING));
    expect(contentHash({ nftText: reordered })).toBe(contentHash({ nftText: LISTING }));
  });

  it('changes when a rule changes', () => {
    expect(contentHash({ nftText: LISTING.replace('dport 22', 'dport 2222') })).not.toBe(
      contentHash({ nftText: LISTING }),
    );
  });
});

// As nft 1.0.6 lists it (measured): a chain binding over several lines with its handle on the closing
// brace, a comment string holding `#` and braces, a named counter, an IPv4-mapped address.
const FULL = `table inet t { # handle 4
\tcounter hits { # handle 5
\t\tpackets 3 bytes 180
\t}

\tset s { # handle 3
\t\ttype ipv6_addr
\t\telements = { ::ffff:192.0.2.1 counter packets 1 bytes 60 }
\t}

\tchain c { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\tcomment "input {#}"
\t\tip6 saddr ::ffff:192.0.2.1 counter packets 2 bytes 120 accept comment "a#b { # handle 77" # handle 4
\t\ttcp dport 22 jump {
\t\t\tcounter packets 7 bytes 420
\t\t\taccept
\t\t} # handle 8
\t\tmeta mark 0x00000001 accept # handle 9
\t}
}`;

describe('the listing parser', () => {
  const [table] = splitTables(FULL);

  it('reads the table, its blocks in order with their handles and line ranges', () => {
    expect([table!.family, table!.name, table!.handle]).toEqual(['inet', 't', 4]);
    expect(table!.blocks.map((b) => [b.kind, b.name, b.handle, b.from, b.to])).toEqual([
      ['counter', 'hits', 5, 1, 3],
      ['set', 's', 3, 5, 8],
      ['chain', 'c', 1, 10, 19],
    ]);
    expect(table!.blocks[1]!.body).toEqual([
      '\t\ttype ipv6_addr',
      '\t\telements = { ::ffff:192.0.2.1 counter packets 1 bytes 60 }',
    ]);
    expect(table!.blocks[1]!.rules).toEqual([]);
  });

  it("reads a chain's declarations and rules, with handle, raw text, normalised text and counter", () => {
    const chain = table!.blocks[2]!;
    expect(chain.decl).toEqual(['type filter hook input priority filter; policy accept;', 'comment "input {#}"']);
    expect(chain.rules).toEqual([
      {
        handle: 4,
        raw: 'ip6 saddr ::ffff:192.0.2.1 counter packets 2 bytes 120 accept comment "a#b { # handle 77"',
        text: 'ip6 saddr ::ffff:192.0.2.1 counter accept comment "a#b { # handle 77"',
        counter: { packets: 2, bytes: 120 },
      },
      {
        handle: 8,
        raw: 'tcp dport 22 jump { counter packets 7 bytes 420; accept; }',
        text: 'tcp dport 22 jump { counter; accept; }',
        counter: { packets: 7, bytes: 420 },
      },
      { handle: 9, raw: 'meta mark 0x00000001 accept', text: 'meta mark 0x00000001 accept', counter: null },
    ]);
    expect([...table!.rulesByHandle.keys()]).toEqual([4, 8, 9]);
  });

  it("reads the table's own flags, not a chain's or a set's", () => {
    expect(table!.flags).toEqual([]);
    const [dormant] = splitTables(
      'table ip d { # handle 2\n\tflags dormant,owner\n\tchain c { # handle 1\n\t\tflags offload\n\t}\n}\n',
    );
    expect(dormant!.flags).toEqual(['dormant', 'owner']);
  });

  it('a listing line: its handle, without it, its counter, counters reduced', () => {
    expect(handleOf('\t\taccept comment "# handle 3" # handle 12')).toBe(12);
    expect(handleOf('\t\taccept comment "# handle 3"')).toBeNull();
    expect(withoutHandle('chain c { # handle 1')).toBe('chain c {');
    expect(counterOf('ip saddr 1.2.3.4 counter packets 5 bytes 300 drop')).toEqual({ packets: 5, bytes: 300 });
    expect(counterOf('counter name "hits" drop')).toBeNull();
    expect(withoutCounterValues('a counter packets 1 bytes 2, b counter packets 3 bytes 4')).toBe(
      'a counter, b counter',
    );
  });
});
