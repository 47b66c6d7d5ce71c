import { describe, expect, it } from 'vitest';
import { normaliseRulesetText, splitTables } from '../../../src/ruleset/text.js';
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
