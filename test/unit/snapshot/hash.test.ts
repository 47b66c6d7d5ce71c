import { describe, expect, it } from 'vitest';
import { contentHash, scopedHash } from '../../../src/snapshot/hash.js';
import type { SnapshotT } from '../../../src/snapshot/schema.js';
import { comparableText } from '../../../src/history/render-text.js';

const addrs = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
// As nft prints a set: several elements to a line, in the kernel's (bucket) order.
const listing = (order: string[]): string => {
  const lines: string[] = [];
  for (let i = 0; i < order.length; i += 4) lines.push(order.slice(i, i + 4).join(', '));
  return `table inet big { # handle 1\n\tset s { # handle 2\n\t\ttype ipv4_addr\n\t\telements = { ${lines.join(',\n\t\t\t     ')} }\n\t}\n}\n`;
};

describe('content hash and diff ignore the order of set elements', () => {
  it('a 5000-element hash set listed in another order (a reload) hashes the same, and compares equal', () => {
    const shuffled = [...addrs].sort((a, b) =>
      a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1,
    );
    expect(listing(shuffled)).not.toBe(listing(addrs));
    expect(contentHash({ nftText: listing(shuffled) })).toBe(contentHash({ nftText: listing(addrs) }));
    const text = (t: string) =>
      comparableText({ nft: { text: t, json: null }, iptablesLegacy: { v4: null, v6: null } });
    expect(text(listing(shuffled))).toBe(text(listing(addrs)));
  });

  it('a different element still changes the hash', () => {
    expect(contentHash({ nftText: listing([...addrs.slice(1), '192.0.2.1']) })).not.toBe(
      contentHash({ nftText: listing(addrs) }),
    );
  });
});

describe('the hash of the tables a plan names', () => {
  const kube = 'table ip kube { # handle 1\n\tchain input { # handle 1\n\t\ttcp dport 80 accept # handle 2\n\t}\n}\n';
  const admin =
    'table inet admin { # handle 2\n\tchain input { # handle 1\n\t\ttcp dport 22 accept # handle 2\n\t}\n}\n';
  const snap = (text: string) =>
    ({
      hash: contentHash({ nftText: text }),
      nft: { text, json: null },
      iptablesLegacy: { v4: null, v6: null },
    }) as unknown as SnapshotT;

  it('covers only those tables; a listing of nothing else is its own hash', () => {
    const both = snap(kube + admin);
    expect(scopedHash(both, ['inet admin'])).toBe(contentHash({ nftText: admin }));
    expect(scopedHash(both, ['inet admin', 'ip kube'])).toBe(both.hash);
    expect(scopedHash(both, undefined)).toBe(both.hash);
    expect(scopedHash(snap(admin), ['inet admin', 'inet new'])).toBe(contentHash({ nftText: admin }));
  });
});
