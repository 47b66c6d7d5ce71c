import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/plan/create-plan.js';
import { FwsafeError } from '../../src/errors.js';
import { fwsafe } from '../helpers/cli.js';
import { createNetns, deleteNetns, isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

const BASE = `table inet filter {
  set allow { type ipv4_addr; elements = { 198.51.100.1 }; }
  chain input { type filter hook input priority 0; policy accept;
    ct state established,related accept
    tcp dport 22 accept
  }
}
`;

type Case = { name: string; make: (dir: string) => string; exit: number; code: string };
const text = (body: string) => (dir: string) => {
  const p = join(dir, `p-${Math.random().toString(36).slice(2)}.nft`);
  writeFileSync(p, body);
  return p;
};
const kernel = (name: string, kind: string, body: string): Case => ({
  name,
  make: text(body),
  exit: 4,
  code: `KERNEL_REJECTED_${kind}`,
});

// Bad proposals: each must give a clear error with its own code and leave the live ruleset untouched.
const CASES: Case[] = [
  { name: 'missing file', make: (d) => join(d, 'nope.nft'), exit: 9, code: 'PROPOSAL_NOT_FOUND' },
  {
    name: 'a directory',
    make: (d) => {
      const p = join(d, 'adir');
      mkdirSync(p);
      return p;
    },
    exit: 9,
    code: 'PROPOSAL_IS_DIRECTORY',
  },
  { name: 'empty file', make: text(''), exit: 9, code: 'PROPOSAL_EMPTY' },
  { name: 'only white space', make: text('  \n\t\n'), exit: 9, code: 'PROPOSAL_EMPTY' },
  {
    name: 'binary garbage with NUL bytes',
    make: (d) => {
      const p = join(d, 'bin');
      writeFileSync(p, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0, 0xff]));
      return p;
    },
    exit: 9,
    code: 'PROPOSAL_BINARY',
  },
  {
    name: 'invalid UTF-8',
    make: (d) => {
      const p = join(d, 'latin1');
      writeFileSync(p, Buffer.from([0x74, 0x61, 0x62, 0xe9, 0xff, 0x0a]));
      return p;
    },
    exit: 9,
    code: 'PROPOSAL_NOT_UTF8',
  },
  {
    name: 'Windows line endings (CR LF)',
    make: text('add rule inet filter input tcp dport 443 accept\r\n'),
    exit: 9,
    code: 'PROPOSAL_CRLF',
  },
  {
    name: 'a 50 MB file',
    make: (d) => {
      const p = join(d, 'big.nft');
      writeFileSync(p, Buffer.alloc(50 * 1024 * 1024, 0x23));
      return p;
    },
    exit: 9,
    code: 'PROPOSAL_TOO_LARGE',
  },
  {
    name: 'a FIFO',
    make: (d) => {
      const p = join(d, 'fifo');
      execFileSync('mkfifo', [p]);
      return p;
    },
    exit: 9,
    code: 'PROPOSAL_NOT_REGULAR',
  },
  { name: 'a character device', make: () => '/dev/null', exit: 9, code: 'PROPOSAL_NOT_REGULAR' },
  {
    name: '`monitor` in the proposal (nft would never return)',
    make: text('add rule inet filter input tcp dport 443 accept\nmonitor\n'),
    exit: 9,
    code: 'PROPOSAL_NOT_A_CHANGE',
  },
  {
    name: '`reset counters` in the proposal (not undoable)',
    make: text('reset counters\n'),
    exit: 9,
    code: 'PROPOSAL_NOT_A_CHANGE',
  },
  {
    name: 'a port with a leading 0 (nft would load 022 as 18, exit 0)',
    make: text('add rule inet filter input tcp dport 022 accept\n'),
    exit: 9,
    code: 'NFT_BAD_VALUE',
  },
  {
    name: 'a limit burst over 2^32-1 (nft would load its low 32 bits, exit 0)',
    make: text('add rule inet filter input limit rate 1/second burst 4294967297 packets accept\n'),
    exit: 9,
    code: 'NFT_BAD_VALUE',
  },
  kernel('syntax error on the first line', 'SYNTAX', 'tabel inet filter { }\n'),
  kernel(
    'syntax error in the middle of a table',
    'SYNTAX',
    'table inet t {\n  chain c {\n    tcp dport 22 acept\n  }\n}\n',
  ),
  kernel('missing closing brace at the end', 'SYNTAX', 'table inet t {\n  chain c {\n    tcp dport 22 accept\n  }\n'),
  kernel('unknown table in add rule', 'NOT_FOUND', 'add rule inet nosuch input tcp dport 22 accept\n'),
  kernel('unknown chain in add rule', 'NOT_FOUND', 'add rule inet filter nosuch tcp dport 22 accept\n'),
  kernel('unknown family', 'SYNTAX', 'add rule ipx filter input accept\n'),
  kernel('wrong family for an existing table', 'NOT_FOUND', 'add rule ip filter input tcp dport 22 accept\n'),
  kernel('include of a missing file', 'INCLUDE', 'include "/nonexistent/fwsafe-missing.nft"\n'),
  kernel('delete a table that does not exist', 'NOT_FOUND', 'delete table inet ghost\n'),
  kernel('delete a rule by a handle that does not exist', 'NOT_FOUND', 'delete rule inet filter input handle 9999\n'),
  kernel('jump to a chain that does not exist', 'NOT_FOUND', 'add rule inet filter input jump nowhere\n'),
  kernel(
    'a jump loop (kernel-only check)',
    'LOOP',
    'add chain inet filter a\nadd chain inet filter b\nadd rule inet filter a jump b\nadd rule inet filter b jump a\nadd rule inet filter input jump a\n',
  ),
  kernel('a set element of the wrong type', 'VALUE', 'add element inet filter allow { "not-an-address" }\n'),
  kernel('a port out of range', 'VALUE', 'add rule inet filter input tcp dport 70000 accept\n'),
  kernel('an invalid IPv4 address', 'VALUE', 'add rule inet filter input ip saddr 300.1.1.1 accept\n'),
  kernel('an invalid prefix length', 'VALUE', 'add rule inet filter input ip saddr 10.0.0.0/33 accept\n'),
  kernel('an undefined variable', 'VARIABLE', 'add rule inet filter input tcp dport $SSH_PORT accept\n'),
  kernel(
    'a route chain on the input hook',
    'UNSUPPORTED',
    'add chain inet filter r { type route hook input priority 0; }\n',
  ),
  kernel(
    'an unknown policy',
    'SYNTAX',
    'add chain inet filter p { type filter hook input priority 0; policy maybe; }\n',
  ),
  kernel('flush ruleset followed by garbage', 'SYNTAX', 'flush ruleset\nthis is not nft\n'),
  kernel('a reference to a missing set', 'NOT_FOUND', 'add rule inet filter input ip saddr @nosuchset drop\n'),
  kernel(
    'a priority that is not a number or name',
    'VALUE',
    'add chain inet filter q { type filter hook input priority sideways; }\n',
  ),
  kernel(
    'a valid first half and a broken second half (atomic: nothing of it applies)',
    'SYNTAX',
    'add rule inet filter input tcp dport 443 accept\nadd rule inet filter input tcp dport 80 acept\n',
  ),
  kernel('create a table that already exists', 'EXISTS', 'create table inet filter\n'),
  kernel(
    'more elements than a set of size 1 holds',
    'SET_FULL',
    'add set inet filter one { type ipv4_addr; size 1; }\nadd element inet filter one { 198.51.100.7, 198.51.100.8 }\n',
  ),
  kernel(
    'a variable defined twice',
    'VARIABLE',
    'define PORT = 22\ndefine PORT = 2222\nadd rule inet filter input tcp dport $PORT accept\n',
  ),
  kernel(
    'conflicting protocols in one rule',
    'VALUE',
    'add rule inet filter input ip saddr 198.51.100.1 ip6 saddr 2001:db8::1 accept\n',
  ),
  kernel('masquerade in a filter chain', 'UNSUPPORTED', 'add rule inet filter input udp dport 53 masquerade\n'),
];

describe.skipIf(!isRoot)('fwsafe plan: a corpus of bad inputs', () => {
  let ns = '';
  let dir = '';
  let before = '';
  beforeAll(() => {
    ns = createNetns('bad');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-bad-'));
    loadRuleset(ns, BASE);
    before = liveRuleset(ns);
  });
  afterAll(() => {
    deleteNetns(ns);
    removeStateDir(dir);
  });

  it.each(CASES)('$name → $code (exit $exit), live ruleset unchanged', async ({ make, exit, code }) => {
    const path = make(dir);
    const error = await createPlan({ netns: ns, proposalPath: path, probes: { enabled: false } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FwsafeError);
    const fw = error as FwsafeError;
    expect(fw.code).toBe(code);
    expect(fw.exitCode).toBe(exit);
    expect(fw.message.split('\n')[0]!.length).toBeGreaterThan(20);
    expect(fw.message).not.toMatch(/\n\s*\n/);
    if (exit === 4) {
      // Where (the user's own file and line), nft's words, and the offending line with carets.
      expect(fw.message.split('\n')[0]).toMatch(
        new RegExp(
          `^nft rejected ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+, column \\d+: .+ Nothing was applied:$`,
        ),
      );
      expect(fw.message).toMatch(/:\d+:\d+-\d+: Error: /);
      expect(fw.message).toMatch(/\n *\^+$/m);
      expect(fw.message).not.toContain('fwsafe-scratch');
    }
    expect(liveRuleset(ns)).toBe(before);
  });

  it('through the CLI: the same errors, exit codes and JSON shape', () => {
    const r = fwsafe(['--netns', ns, 'plan', join(dir, 'missing.nft'), '--json']);
    expect(r.status).toBe(9);
    expect(r.json.error.code).toBe('PROPOSAL_NOT_FOUND');
    const k = fwsafe(['--netns', ns, 'plan', text('add rule inet filter input tcp dport 22 acept\n')(dir)]);
    expect(k.status).toBe(4);
    expect(k.stderr).toMatch(/:1:\d+-\d+: Error: syntax error/);
    expect(k.stderr).toContain('acept');
    const a = fwsafe([
      '--netns',
      ns,
      'plan',
      text('add rule inet filter input tcp dport 443 accept\n')(dir),
      '--against',
      join(dir, 'saved-typo.nft'),
      '--json',
    ]);
    expect(a.status).toBe(9);
    expect(a.json.error.code).toBe('AGAINST_NOT_FOUND');
    const o = fwsafe([
      '--netns',
      ns,
      'plan',
      text('add rule inet filter input tcp dport 443 accept\n')(dir),
      '--out',
      join(dir, 'no-such-dir', 'p.json'),
      '--json',
    ]);
    expect(o.status).toBe(9);
    expect(o.json.error.code).toBe('PLAN_OUT_UNWRITABLE');
    expect(liveRuleset(ns)).toBe(before);
  });

  it('a UTF-8 byte-order mark is not an error: the plan records (and apply runs) the text without it', async () => {
    const p = join(dir, 'bom.nft');
    writeFileSync(
      p,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('add rule inet filter input tcp dport 443 accept\n'),
      ]),
    );
    const plan = await createPlan({ netns: ns, proposalPath: p, probes: { enabled: false } });
    expect(plan.proposal.text).toBe('add rule inet filter input tcp dport 443 accept\n');
    expect(plan.diff.summary.rulesAdded).toBe(1);
    expect(liveRuleset(ns)).toBe(before);
  });

  it('an unreadable file, for a user without permission, is refused clearly', () => {
    // (run as nobody: root can read anything)
    const p = text('add rule inet filter input accept\n')(dir);
    chmodSync(p, 0o000);
    chmodSync(dir, 0o755);
    const r = fwsafe(['plan', p, '--json'], { asNobody: true });
    expect(r.status).toBe(9);
    expect(JSON.parse(r.stdout).error.code).toBe('PROPOSAL_UNREADABLE');
    expect(liveRuleset(ns)).toBe(before);
  });
  it('include "/etc/shadow": no line of that file in text, JSON or markdown, nor in apply; the ruleset unchanged', () => {
    const secret = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(secret.length).toBeGreaterThan(0);
    const p = text('include "/etc/shadow"\n')(dir);
    const runs = [
      fwsafe(['--netns', ns, 'plan', p, '--no-probes']),
      fwsafe(['--netns', ns, 'plan', p, '--no-probes', '--json']),
      fwsafe(['--netns', ns, 'plan', p, '--no-probes', '--markdown']),
      fwsafe(['--netns', ns, '--state-dir', join(dir, 'state'), 'apply', p, '--no-wait', '--json']),
    ];
    for (const r of runs) {
      expect(r.status).toBe(4);
      const out = r.stdout + r.stderr;
      expect(out).toContain('/etc/shadow');
      expect(out).toContain('is not the proposal');
      for (const line of secret) expect(out).not.toContain(line);
      // Not even a user name: the first field of each line.
      for (const line of secret)
        expect(out).not.toMatch(
          new RegExp(`(^|\\s)${line.split(':')[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`, 'm'),
        );
    }
    expect(liveRuleset(ns)).toBe(before);
  });
});
