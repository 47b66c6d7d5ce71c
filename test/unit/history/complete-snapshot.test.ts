import { describe, expect, it } from 'vitest';
import { composeSnapshot } from '../../../src/history/complete-snapshot.js';
import { contentHash } from '../../../src/snapshot/hash.js';
import { SNAPSHOT_SCHEMA, Snapshot, type SnapshotT } from '../../../src/snapshot/schema.js';

const gen = (genid: number) => ({ bootId: 'b-1', netnsCookie: '4242', genid });

const big = (port: number) =>
  'table ip kube { # handle 1\n\tchain input { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n' +
  `\t\ttcp dport ${port} counter packets 7 bytes 420 accept # handle 2\n\t\tudp dport 53 accept # handle 3\n\t}\n}\n`;
const own = (port: number, handle = 2) =>
  `table inet admin { # handle ${handle}\n\tchain input { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n` +
  `\t\ttcp dport ${port} accept # handle 2\n\t}\n}\n`;

function snap(text: string, extra: Partial<SnapshotT> = {}): SnapshotT {
  return Snapshot.parse({
    schema: SNAPSHOT_SCHEMA,
    takenAt: '2026-11-29T00:00:00.000Z',
    netns: 'ns',
    hash: contentHash({ nftText: text }),
    nft: { text, json: null },
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary: { nftTables: 2, nftRules: 3, iptablesNft: false, iptablesLegacy: false, firewalld: false },
    ...extra,
  });
}

describe('versions completed from a partial listing', () => {
  const whole = snap(big(80) + own(22), { generation: gen(7) });

  it('reuses the other tables when nothing was committed since (steps 0): same hash, byte-identical text', () => {
    const partial = snap(own(22), { generation: gen(7), listedTables: ['inet admin'] });
    const c = composeSnapshot(whole, 3, partial, 0);
    expect(c).not.toBeNull();
    expect(c!.nft.text).toBe(big(80) + own(22));
    expect(c!.hash).toBe(whole.hash);
    expect(c!.reused).toEqual({ version: 3, tables: ['ip kube'] });
    expect(c!.summary.nftRules).toBe(3);
    expect(c!.listedTables).toBeUndefined();
    expect(() => Snapshot.parse(c)).not.toThrow();
  });

  it('puts a replaced table (a new, higher handle) where list ruleset prints it and hashes the new content', () => {
    const partial = snap(own(2222, 9), { generation: gen(8), listedTables: ['inet admin'] });
    const c = composeSnapshot(whole, 3, partial, 1);
    expect(c!.nft.text).toBe(big(80) + own(2222, 9));
    expect(c!.hash).toBe(contentHash({ nftText: big(80) + own(2222, 9) }));
    const reordered = composeSnapshot(
      snap(own(22, 1) + big(80).replace('# handle 1\n', '# handle 5\n'), { generation: gen(7) }),
      3,
      partial,
      1,
    );
    expect(reordered!.nft.text.indexOf('table ip kube')).toBeLessThan(reordered!.nft.text.indexOf('table inet admin'));
  });

  it('drops a table the change deleted', () => {
    const partial = snap('', { generation: gen(8), listedTables: ['inet admin'] });
    expect(composeSnapshot(whole, 3, partial, 1)!.nft.text).toBe(big(80));
  });

  it('refuses without a proof: another commit, another namespace or boot, no generation, volatile content', () => {
    const partial = (g: ReturnType<typeof gen> | undefined) =>
      snap(own(22), { ...(g ? { generation: g } : {}), listedTables: ['inet admin'] });
    expect(composeSnapshot(whole, 3, partial(gen(8)), 0)).toBeNull();
    expect(composeSnapshot(whole, 3, partial(gen(9)), 1)).toBeNull();
    expect(composeSnapshot(whole, 3, partial({ ...gen(7), netnsCookie: '1' }), 0)).toBeNull();
    expect(composeSnapshot(whole, 3, partial({ ...gen(7), bootId: 'b-2' }), 0)).toBeNull();
    expect(composeSnapshot(whole, 3, partial(undefined), 0)).toBeNull();
    expect(composeSnapshot(snap(big(80) + own(22)), 3, partial(gen(7)), 0)).toBeNull();
    const dynamic = big(80).replace(
      '\tchain input',
      '\tset seen { # handle 4\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t}\n\tchain input',
    );
    expect(composeSnapshot(snap(dynamic + own(22), { generation: gen(7) }), 3, partial(gen(7)), 0)).toBeNull();
  });

  it('never reuses around firewalld or iptables-nft saves it cannot split', () => {
    const partial = snap(own(22), { generation: gen(8), listedTables: ['inet admin'] });
    const withIpt = snap(big(80) + own(22), {
      generation: gen(7),
      summary: { nftTables: 2, nftRules: 3, iptablesNft: true, iptablesLegacy: false, firewalld: false },
    });
    expect(composeSnapshot(withIpt, 3, partial, 1)).toBeNull();
  });
});
