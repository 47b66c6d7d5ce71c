import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../src/errors.js';
import { parseRestore } from '../../../../src/formats/iptables/parse.js';
import { restoreWords, silentlyChangedValue } from '../../../../src/formats/iptables/values.js';

const file = (table: string, rule: string): string => `*${table}\n:INPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;

/** What fwsafe says about one line: the UserError iptables-restore input would raise, or null. */
function refusal(table: string, rule: string, family: 'v4' | 'v6' | null = null): UserError | null {
  try {
    parseRestore(file(table, rule), 'rules.v4', family);
    return null;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
}

// Each row: a value iptables-restore 1.8.9 accepted with exit 0 on both iptables-nft and iptables-legacy,
// and what iptables-save then printed (measured in a scratch namespace, see docs/iptables.md).
const WRAPPED: { rule: string; table?: string; family?: 'v4' | 'v6'; token: string; says: RegExp; stored: string }[] = [
  { rule: '-A INPUT -p udp --dport 99999 -j DROP', token: '--dport 99999', says: /34463/, stored: '--dport 34463' },
  { rule: '-A INPUT -p udp --dport 65536 -j DROP', token: '--dport 65536', says: /store 0 /, stored: '--dport 0' },
  { rule: '-A INPUT -p udp --sport 1:70000 -j DROP', token: '--sport 1:70000', says: /4464/, stored: '1:4464' },
  { rule: '-A INPUT -p dccp --dport 99999 -j DROP', token: '--dport 99999', says: /34463/, stored: '34463' },
  {
    rule: '-A INPUT -p tcp -m multiport --dports 99999,22 -j DROP',
    token: '--dports 99999,22',
    says: /0-65535/,
    stored: 'refused by iptables (tcp)',
  },
  {
    rule: '-A INPUT -p tcp --dport 022 -j DROP',
    token: '--dport 022',
    says: /octal \(022 is 18\)/,
    stored: '--dport 18',
  },
  {
    rule: '-A INPUT -p tcp -m multiport --dports 022,80 -j DROP',
    token: '--dports 022,80',
    says: /octal/,
    stored: '18,80',
  },
  {
    rule: '-A INPUT -m conntrack --ctorigdstport 99999 -j DROP',
    token: '--ctorigdstport 99999',
    says: /34463/,
    stored: '34463',
  },
  {
    rule: '-A INPUT -m conntrack --ctrepldstport 1:99999 -j DROP',
    token: '--ctrepldstport 1:99999',
    says: /34463/,
    stored: '1:34463',
  },
  {
    rule: '-A PREROUTING -p tcp -j TPROXY --on-port 99999',
    table: 'mangle',
    token: '--on-port 99999',
    says: /34463/,
    stored: '34463',
  },
  { rule: '-A INPUT -p tcp -j SYNPROXY --mss 99999 --wscale 7', token: '--mss 99999', says: /34463/, stored: '34463' },
  {
    rule: '-A PREROUTING -p udp -j REDIRECT --to-ports 022',
    table: 'nat',
    token: '--to-ports 022',
    says: /octal/,
    stored: '18',
  },
  {
    rule: '-A OUTPUT -p udp -j DNAT --to-destination 10.0.0.1:022',
    table: 'nat',
    token: '--to-destination 10.0.0.1:022',
    says: /octal/,
    stored: '10.0.0.1:18',
  },
  {
    rule: '-A OUTPUT -p udp -j DNAT --to-destination [::1]:022',
    table: 'nat',
    family: 'v6',
    token: '--to-destination [::1]:022',
    says: /octal/,
    stored: '[::1]:18',
  },
  {
    rule: '-A INPUT -m conntrack --ctorigsrc 10.0.0.0/33 -j DROP',
    token: '--ctorigsrc 10.0.0.0/33',
    says: /drop the \/33/,
    stored: '10.0.0.0',
  },
  {
    rule: '-A INPUT -m conntrack --ctrepldst 10.0.0.0/99 -j DROP',
    token: '--ctrepldst 10.0.0.0/99',
    says: /0-32/,
    stored: '10.0.0.0',
  },
  {
    rule: '-A PREROUTING -j NETMAP --to 10.0.0.0/33',
    table: 'nat',
    token: '--to 10.0.0.0/33',
    says: /0-32/,
    stored: '10.0.0.0/32',
  },
  {
    rule: '-A INPUT -p tcp -m connlimit --connlimit-above 2 --connlimit-mask 33 -j DROP',
    family: 'v4',
    token: '--connlimit-mask 33',
    says: /store 32/,
    stored: '32',
  },
  { rule: '-A INPUT -s 10.0.0.0/024 -j DROP', token: '-s 10.0.0.0/024', says: /\/20/, stored: '10.0.0.0/20' },
  { rule: '-A INPUT -s ::/064 -j DROP', family: 'v6', token: '-s ::/064', says: /\/52/, stored: '::/52' },
  { rule: '-A INPUT -s 010.0.0.1 -j DROP', token: '-s 010.0.0.1', says: /010 is 8/, stored: '8.0.0.1/32' },
  { rule: '-A INPUT -p 017 -j DROP', token: '-p 017', says: /017 is 15/, stored: '-p 15' },
  { rule: '-A INPUT -m mark --mark 010 -j DROP', token: '--mark 010', says: /octal/, stored: '0x8' },
  { rule: '-A INPUT -m ttl --ttl-eq 010 -j DROP', token: '--ttl-eq 010', says: /octal/, stored: '8' },
  { rule: '-A INPUT -m hl --hl-eq 010 -j DROP', family: 'v6', token: '--hl-eq 010', says: /octal/, stored: '8' },
  { rule: '-A INPUT -m length --length 010 -j DROP', token: '--length 010', says: /octal/, stored: '8' },
  { rule: '-A INPUT -m limit --limit-burst 010 -j DROP', token: '--limit-burst 010', says: /octal/, stored: '8' },
  { rule: '-A INPUT -p icmp --icmp-type 010 -j DROP', token: '--icmp-type 010', says: /octal/, stored: '8' },
  {
    rule: '-A INPUT -p ipv6-icmp --icmpv6-type 010 -j DROP',
    family: 'v6',
    token: '--icmpv6-type 010',
    says: /octal/,
    stored: '8',
  },
  {
    rule: '-A INPUT -p icmp --icmp-type 255 -j DROP',
    token: '--icmp-type 255',
    says: /every ICMP packet/,
    stored: 'any',
  },
  {
    rule: '-A INPUT -j LOG --log-prefix "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"',
    token: '--log-prefix aaaa',
    says: /29 bytes/,
    stored: '29 a',
  },
  {
    rule: '-A INPUT -j LOG --log-prefix "ééééééééééééééé"',
    token: '--log-prefix éé',
    says: /30 bytes/,
    stored: '29 bytes, half a character',
  },
  {
    rule: `-A INPUT -j NFLOG --nflog-prefix "${'a'.repeat(64)}"`,
    token: '--nflog-prefix aaaa',
    says: /63 bytes/,
    stored: '63 a (legacy)',
  },
  {
    rule: `-A INPUT -m comment --comment "${'c'.repeat(256)}" -j DROP`,
    token: '--comment cccc',
    says: /255 bytes/,
    stored: '255 c',
  },
  {
    rule: '-A POSTROUTING -j CLASSIFY --set-class 1:99999',
    table: 'mangle',
    token: '--set-class 1:99999',
    says: /9999 of 99999/,
    stored: '0001:9999',
  },
  { rule: '-A INPUT -m time --weekdays 1,9 -j DROP', token: '--weekdays 1,9', says: /drop 9/, stored: 'Mon' },
];

describe('iptables-restore values that 1.8.9 would silently store as others', () => {
  for (const w of WRAPPED) {
    it(`refuses ${w.token} (iptables-save showed: ${w.stored})`, () => {
      const e = refusal(w.table ?? 'filter', w.rule, w.family ?? null);
      expect(e, w.rule).not.toBeNull();
      expect(e!.code).toBe('IPTABLES_BAD_VALUE');
      expect(e!.exitCode).toBe(9);
      expect(e!.message).toContain('rules.v4:3: "');
      expect(e!.message).toContain(w.token);
      expect(e!.message).toMatch(w.says);
      expect(e!.actions.length).toBeGreaterThan(0);
    });
  }

  it('pass what iptables-save prints and what it keeps as written', () => {
    for (const [table, rule] of [
      ['filter', '-A INPUT -p udp -m udp --dport 65535 -j DROP'],
      ['filter', '-A INPUT -p tcp -m tcp --dport 0 -j DROP'],
      ['filter', '-A INPUT -p tcp -m multiport --dports 22,80,1000:2000 -j ACCEPT'],
      ['filter', '-A INPUT -p tcp -m tcp --dport ssh -j ACCEPT'],
      ['filter', '-A INPUT -p tcp -m tcp --dport 0x16 -j ACCEPT'],
      ['filter', '-A INPUT -s 10.0.0.0/24 -d 192.168.0.1/32 -j ACCEPT'],
      ['filter', '-A INPUT -s 10.0.0.0/255.255.255.0 -j ACCEPT'],
      ['filter', '-A INPUT -m conntrack --ctorigsrc 10.0.0.0/24 --ctorigdstport 1:65535 -j ACCEPT'],
      ['filter', '-A INPUT -m mark --mark 0xffffffff/0x0000ffff -j DROP'],
      ['filter', '-A INPUT -m mark --mark 0 -j DROP'],
      ['filter', '-A INPUT -p icmp -m icmp --icmp-type 8/0 -j ACCEPT'],
      ['filter', '-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT'],
      ['filter', '-A INPUT -p tcp -m connlimit --connlimit-above 2 --connlimit-mask 24 --connlimit-saddr -j DROP'],
      ['filter', '-A INPUT -j LOG --log-prefix "fw drop: "'],
      ['filter', `-A INPUT -m comment --comment "${'c'.repeat(255)}" -j DROP`],
      ['filter', '-A INPUT -m time --weekdays Mon,Fri,7 -j DROP'],
      ['nat', '-A OUTPUT -p tcp -j DNAT --to-destination 10.0.0.1:8080-8090'],
      ['nat', '-A POSTROUTING -o eth0 -j SNAT --to-source 10.0.0.1-10.0.0.9'],
      ['nat', '-A PREROUTING -p tcp -j REDIRECT --to-ports 3128'],
      ['mangle', '-A POSTROUTING -j CLASSIFY --set-class 0001:9999'],
      ['filter', '-A INPUT -p tcp -m tcp ! --dport 22 -j DROP'],
    ] as const)
      expect(refusal(table, rule), rule).toBeNull();
    expect(
      refusal('filter', '-A INPUT -p tcp -m connlimit --connlimit-above 2 --connlimit-mask 64 -j DROP', 'v6'),
    ).toBeNull();
    expect(refusal('filter', '-A INPUT -p ipv6-icmp --icmpv6-type 255 -j DROP', 'v6')).toBeNull();
  });

  it('read a negated value and quoted words as iptables-restore splits them', () => {
    expect(silentlyChangedValue('-A INPUT -p udp --dport ! 99999 -j DROP')?.token).toBe('--dport 99999');
    expect(restoreWords('-A INPUT -m comment --comment "a \\"b\\" c" -j DROP')).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'a "b" c',
      '-j',
      'DROP',
    ]);
  });
});
