import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { nftFormat } from '../../../src/formats/nft/index.js';

const script = (rule: string): string =>
  `table inet t {\n  chain c {\n    type filter hook input priority 0; policy accept;\n    ${rule}\n  }\n}\n`;

function refusal(rule: string): UserError | null {
  try {
    nftFormat.validate(script(rule), 'p.nft');
    return null;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
}

// Each row: nft 1.0.6 loaded it with exit 0, and `nft list` then showed the value after "stored".
const SILENT = [
  { rule: 'tcp dport 022 accept', token: '"022"', says: /octal \(18\)/, stored: 'tcp dport 18' },
  { rule: 'tcp dport 022-80 accept', token: '"022-80"', says: /octal/, stored: '18-80' },
  { rule: 'tcp dport { 022, 80 } accept', token: '"022"', says: /octal/, stored: '{ 18, 80 }' },
  { rule: 'tcp dport 08 accept', token: '"08"', says: /not octal/, stored: '8' },
  { rule: 'ip saddr 010.0.0.1 drop', token: '"010.0.0.1"', says: /octal \(8\)/, stored: '8.0.0.1' },
  { rule: 'ip saddr 10.0.0.0/024 drop', token: '"10.0.0.0/024"', says: /\/20/, stored: '10.0.0.0/20' },
  { rule: 'ip6 saddr ::/064 drop', token: '"::/064"', says: /\/52/, stored: '::/52' },
  { rule: 'meta l4proto 017 drop', token: '"017"', says: /octal \(15\)/, stored: '15' },
  { rule: 'meta mark 010 drop', token: '"010"', says: /octal/, stored: '0x00000008' },
  { rule: 'meta mark set 010', token: '"010"', says: /octal/, stored: 'set 0x00000008' },
  { rule: 'ip ttl 010 drop', token: '"010"', says: /octal/, stored: '8' },
  { rule: 'icmp type 010 drop', token: '"010"', says: /octal/, stored: 'echo-request' },
  { rule: 'tcp dport 80 dnat ip to 10.0.0.1:022', token: '"10.0.0.1:022"', says: /octal/, stored: '10.0.0.1:18' },
  {
    rule: 'limit rate 1/second burst 4294967297 packets drop',
    token: '"4294967297"',
    says: /load 1 /,
    stored: 'burst 1',
  },
  {
    rule: 'limit rate over 1 mbytes/second burst 99999999999 bytes drop',
    token: '"99999999999"',
    says: /1215752191/,
    stored: 'burst 1215752191',
  },
  {
    rule: 'ct count over 99999999999 drop',
    token: '"99999999999"',
    says: /1215752191/,
    stored: 'ct count over 1215752191',
  },
  { rule: 'log group 70000 drop', token: '"70000"', says: /load 4464/, stored: 'log group 4464' },
];

describe('nft values nft 1.0.6 would silently load as others', () => {
  for (const s of SILENT) {
    it(`refuses ${s.rule} (nft list showed: ${s.stored})`, () => {
      const e = refusal(s.rule);
      expect(e, s.rule).not.toBeNull();
      expect(e!.code).toBe('NFT_BAD_VALUE');
      expect(e!.exitCode).toBe(9);
      expect(e!.message).toMatch(/^p\.nft:4:\d+: /);
      expect(e!.message).toContain(s.token);
      expect(e!.message).toMatch(s.says);
    });
  }

  it('pass what nft lists, hex, IPv6 and MAC groups, strings and comments', () => {
    for (const rule of [
      'tcp dport 0 accept',
      'tcp dport { 22, 80, 1000-2000 } accept',
      'tcp dport 0x16 accept',
      'meta mark 0x00000008 drop',
      'ip6 saddr 2001:0db8:0000::1/64 drop',
      'ether saddr 00:11:22:33:44:55 drop',
      'ip saddr 10.0.0.0/24 counter packets 0 bytes 0 drop',
      'meta hour "08:00"-"17:00" drop',
      'log prefix "port 022 " group 2 drop',
      'limit rate 1/second burst 4294967295 packets drop',
      'ct count over 10 drop # 010 in a comment',
      'meta cgroup 99999999999 drop',
    ])
      expect(refusal(rule), rule).toBeNull();
  });
});
