import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBaseFile } from '../../../src/plan/base-file.js';
import { contentHash } from '../../../src/snapshot/hash.js';
import { FwsafeError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fwsafe-base-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LISTING =
  'table inet mine { # handle 1\n\tchain input { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 accept # handle 2\n\t}\n}\n';
const SUMMARY = { nftTables: 1, nftRules: 1, iptablesNft: false, iptablesLegacy: false, firewalld: false };
const exportOf = (nft: string, hash = contentHash({ nftText: nft })): string =>
  JSON.stringify({
    format: 'fwsafe-export',
    version: 1,
    exportedAt: '2026-11-29T00:00:00Z',
    netns: null,
    hash,
    nft,
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary: SUMMARY,
  });

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function codeOf(path: string): string {
  try {
    readBaseFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(FwsafeError);
    expect((error as FwsafeError).exitCode).toBe(9);
    return (error as FwsafeError).code;
  }
  return 'ACCEPTED';
}

describe('plan --against: what is a base', () => {
  it('takes an nft listing and an intact export', () => {
    expect(readBaseFile(file('listing.nft', LISTING))).toEqual({ kind: 'nft', text: LISTING });
    const base = readBaseFile(file('export.json', exportOf(LISTING)));
    expect(base.kind).toBe('export');
    expect(base.kind === 'export' && base.doc.nft).toBe(LISTING);
  });

  it('takes /etc/nftables.conf-style files (shebang, comments, flush ruleset) and an empty ruleset', () => {
    expect(readBaseFile(file('conf.nft', `#!/usr/sbin/nft -f\n# saved\nflush ruleset\n\n${LISTING}`)).kind).toBe('nft');
    expect(readBaseFile(file('empty.nft', '')).kind).toBe('nft');
  });

  // Each of these was silently planned as an empty ruleset before.
  const garbage: [string, string | Buffer, string][] = [
    ['plain text', 'hello, this is not a ruleset\n', 'BASE_NOT_A_RULESET'],
    ['trailing junk after a table', `${LISTING}oops\n`, 'BASE_NOT_A_RULESET'],
    [
      'iptables-save output',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
      'BASE_IPTABLES_SAVE',
    ],
    ['binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), 'BASE_BINARY'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x41]), 'BASE_BINARY'],
    ['JSON that is not an export', '{"hello": 1}', 'BASE_BAD_EXPORT'],
    ['a plan file', '{"version": 1, "base": {}, "proposal": {}}', 'BASE_BAD_EXPORT'],
    ['broken JSON', '{"format": "fwsafe-export",', 'BASE_BAD_EXPORT'],
    [
      'an export missing a field',
      exportOf(LISTING).replace('"exportedAt":"2026-11-29T00:00:00Z",', ''),
      'BASE_BAD_EXPORT',
    ],
    ['an export edited after export', exportOf(LISTING).replace('dport 22', 'dport 23'), 'BASE_EXPORT_TAMPERED'],
  ];
  it.each(garbage)('refuses %s with its own code', (name, content, code) => {
    expect(codeOf(file(`bad-${name.replace(/\W+/g, '-')}`, content))).toBe(code);
  });

  it('names line numbers, never the text of a line (a base may be any file root can read)', () => {
    const secret = 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::';
    try {
      readBaseFile(file('shadow-like', `${secret}\n`));
      expect.fail('accepted');
    } catch (error) {
      const e = error as FwsafeError;
      expect(e.message).toContain('line 1');
      expect(JSON.stringify(e.toJSON())).not.toContain('saltsalt');
    }
  });
});
