import { describe, expect, it } from 'vitest';
import { pairText, proposalParts, splitPair, v6Sibling } from '../../../../src/formats/iptables/pair.js';
import { iptablesFormat } from '../../../../src/formats/iptables/index.js';

const V4 = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n';
const V6 = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s fd00::/8 -j ACCEPT\nCOMMIT\n';

describe('a v4 + v6 pair as one proposal text', () => {
  it('round-trips through the text that plan files and history carry; each part is the file as written', () => {
    const text = pairText([
      { family: 'v4', path: '/etc/iptables/rules.v4', text: V4 },
      { family: 'v6', path: '/etc/iptables/rules.v6', text: V6 },
    ]);
    expect(iptablesFormat.recognise(text)?.format).toBe('iptables');
    const parts = splitPair(text)!;
    expect(parts.map((p) => [p.family, p.path])).toEqual([
      ['v4', '/etc/iptables/rules.v4'],
      ['v6', '/etc/iptables/rules.v6'],
    ]);
    expect(parts[0]!.text.trimEnd()).toBe(V4.trimEnd());
    expect(parts[1]!.text.trimEnd()).toBe(V6.trimEnd());
    expect(() => iptablesFormat.validate(text, 'pair')).not.toThrow();
    expect(splitPair(V4)).toBeNull();
  });

  it('refuses two parts of one family, --family with a pair, and a line of the other family (named in its file)', () => {
    const twoV4 = pairText([
      { family: 'v4', path: 'a.v4', text: V4 },
      { family: 'v4', path: 'b.v4', text: V4 },
    ]);
    expect(() => proposalParts(twoV4, 'pair', null)).toThrow(/exactly one IPv4 and one IPv6/);
    const ok = pairText([
      { family: 'v4', path: 'a.v4', text: V4 },
      { family: 'v6', path: 'b.v6', text: V6 },
    ]);
    expect(() => proposalParts(ok, 'pair', 'v4')).toThrow(/--family v4 names one family/);
    const bad = pairText([
      { family: 'v4', path: 'a.v4', text: V4.replace('10.0.0.0/8', 'fd00::1') },
      { family: 'v6', path: 'b.v6', text: V6 },
    ]);
    expect(() => proposalParts(bad, 'pair', null)).toThrow(/^a\.v4:3: an IPv6 address/);
  });

  it('the IPv6 boot file beside an IPv4 one', () => {
    expect(v6Sibling('/etc/iptables/rules.v4')).toBe('/etc/iptables/rules.v6');
    expect(v6Sibling('/etc/sysconfig/iptables')).toBe('/etc/sysconfig/ip6tables');
    expect(v6Sibling('/tmp/boot.rules')).toBeNull();
  });
});
