import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fwsafe } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

// Live rules of the namespace: a docker-like iptables-nft host. Every bad input must leave them exactly so.
const LIVE = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-USER - [0:0]
[9:540] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
[2:120] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -j DOCKER
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
`;
const ok = (body: string): string =>
  `*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n${body}\nCOMMIT\n`;

interface Case {
  name: string;
  file?: string;
  text: string | Buffer;
  code: string;
  status: number;
  message: RegExp;
}
const CASES: Case[] = [
  {
    name: 'no COMMIT',
    text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n',
    code: 'IPTABLES_NO_COMMIT',
    status: 9,
    message: /:1: table \*filter is not closed by COMMIT/,
  },
  {
    name: 'a second table before COMMIT',
    text: '*filter\n-A INPUT -j ACCEPT\n*nat\nCOMMIT\n',
    code: 'IPTABLES_NO_COMMIT',
    status: 9,
    message: /before \*nat \(line 3\)/,
  },
  {
    name: 'unknown table',
    text: '*filtre\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
    code: 'IPTABLES_UNKNOWN_TABLE',
    status: 9,
    message: /:1: unknown table \*filtre/,
  },
  {
    name: 'unknown match',
    text: ok('-A INPUT -p tcp -m nosuchmatch --foo 1 -j ACCEPT'),
    code: 'KERNEL_REJECTED',
    status: 4,
    message: /line 5: "-A INPUT -p tcp -m nosuchmatch/,
  },
  {
    name: 'unknown option of a known match',
    text: ok('-A INPUT -p tcp --dportt 443 -j ACCEPT'),
    code: 'KERNEL_REJECTED',
    status: 4,
    message: /line 5/,
  },
  {
    name: 'port out of range (refused before iptables-restore, which wraps it on udp)',
    text: ok('-A INPUT -p tcp --dport 99999 -j ACCEPT'),
    code: 'IPTABLES_BAD_VALUE',
    status: 9,
    message: /:5: "--dport 99999": a port is 0-65535/,
  },
  {
    name: 'value out of range that iptables-restore refuses itself',
    text: ok('-A INPUT -m ttl --ttl-eq 300 -j ACCEPT'),
    code: 'KERNEL_REJECTED',
    status: 4,
    message: /line 5/,
  },
  {
    name: 'jump to a chain that does not exist',
    text: ok('-A INPUT -p tcp --dport 443 -j NOSUCHCHAIN'),
    code: 'KERNEL_REJECTED',
    status: 4,
    message: /line 5/,
  },
  {
    name: 'rule in a chain that does not exist',
    text: '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n',
    code: 'KERNEL_REJECTED',
    status: 4,
    message: /line 2/,
  },
  {
    name: 'IPv6 address in a v4 file',
    file: 'rules.v4',
    text: ok('-A INPUT -s 2001:db8::1/128 -p tcp --dport 443 -j ACCEPT'),
    code: 'IPTABLES_FAMILY_MISMATCH',
    status: 9,
    message: /rules\.v4:5: an IPv6 address or icmpv6 in an IPv4 file/,
  },
  {
    name: 'IPv4 address in a v6 file',
    file: 'rules.v6',
    text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\nCOMMIT\n',
    code: 'IPTABLES_FAMILY_MISMATCH',
    status: 9,
    message: /rules\.v6:3: an IPv4 address or icmp in an IPv6 file/,
  },
  {
    name: 'flush of a foreign chain',
    text: '*filter\n-F DOCKER\nCOMMIT\n',
    code: 'IPTABLES_FOREIGN_CHAIN',
    status: 9,
    message: /:2: "-F DOCKER" flushes DOCKER, a chain docker owns/,
  },
  {
    name: 'delete of a foreign chain',
    text: '*filter\n-X DOCKER-ISOLATION-STAGE-1\nCOMMIT\n',
    code: 'IPTABLES_FOREIGN_CHAIN',
    status: 9,
    message: /deletes DOCKER-ISOLATION-STAGE-1/,
  },
  {
    name: 'flush of every chain',
    text: '*filter\n-F\n:INPUT DROP [0:0]\nCOMMIT\n',
    code: 'IPTABLES_ALL_CHAINS',
    status: 9,
    message: /flushes every chain of \*filter/,
  },
  {
    name: 'binary',
    text: Buffer.from([0x2a, 0x66, 0x00, 0x01, 0xff, 0x0a]),
    code: 'PROPOSAL_BINARY',
    status: 9,
    message: /NUL bytes/,
  },
  {
    name: 'huge',
    text: `*filter\n${'#'.repeat(17 * 1024 * 1024)}\nCOMMIT\n`,
    code: 'PROPOSAL_TOO_LARGE',
    status: 9,
    message: /fwsafe plans files up to 16 MB/,
  },
  {
    name: 'rules outside a table',
    text: '-A INPUT -p tcp --dport 443 -j ACCEPT\n*filter\nCOMMIT\n',
    code: 'IPTABLES_OUTSIDE_TABLE',
    status: 9,
    message: /:1: "-A INPUT -p tcp --dport 443 -j ACCEPT" is outside a table/,
  },
  {
    name: 'a bad policy',
    text: '*filter\n:INPUT REJECT [0:0]\nCOMMIT\n',
    code: 'IPTABLES_BAD_POLICY',
    status: 9,
    message: /:2: the built-in chain INPUT needs a policy ACCEPT or DROP/,
  },
  {
    name: 'a built-in chain of another table',
    text: '*raw\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
    code: 'IPTABLES_BAD_POLICY',
    status: 9,
    message: /INPUT is not a built-in chain of \*raw/,
  },
  {
    name: 'a table twice',
    text: '*filter\nCOMMIT\n*filter\nCOMMIT\n',
    code: 'IPTABLES_TABLE_TWICE',
    status: 9,
    message: /:3: table \*filter appears twice/,
  },
  {
    name: 'a line iptables-restore cannot read',
    text: '*filter\nallow tcp 443\nCOMMIT\n',
    code: 'IPTABLES_BAD_LINE',
    status: 9,
    message: /:2: cannot read "allow tcp 443"/,
  },
  {
    name: 'shell commands instead of restore input',
    text: 'iptables -A INPUT -p tcp --dport 443 -j ACCEPT\n',
    code: 'IPTABLES_SHELL_COMMANDS',
    status: 9,
    message: /list of iptables shell commands/,
  },
  {
    name: 'a chain name too long',
    text: '*filter\n:THIS-CHAIN-NAME-IS-FAR-TOO-LONG-FOR-IPTABLES - [0:0]\nCOMMIT\n',
    code: 'IPTABLES_BAD_CHAIN',
    status: 9,
    message: /not a valid chain name/,
  },
];

describe.skipIf(!isRoot)('iptables bad inputs: a clear error each, the live rules unchanged', () => {
  let ns = '';
  let dir = '';
  let state = '';
  const save = (): string =>
    inNetns(ns, 'iptables-nft-save', ['-c'])
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  let live = '';
  beforeAll(() => {
    ns = createNetns('ipt-bad');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-ipt-bad-'));
    state = mkdtempSync(join(tmpdir(), 'fwsafe-state-'));
    inNetns(ns, 'iptables-nft-restore', ['-w', '5', '-c'], LIVE);
    live = save();
  });
  afterAll(() => {
    deleteNetns(ns);
    removeStateDir(dir);
    removeStateDir(state);
  });

  it('has at least 15 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(15));

  for (const c of CASES) {
    it(c.name, () => {
      const file = join(dir, c.file ?? `${c.name.replace(/\W+/g, '-')}.rules`);
      writeFileSync(file, c.text);
      for (const verb of [['plan'], ['apply', '--no-wait']]) {
        const r = fwsafe(['--netns', ns, '--state-dir', state, ...verb, file, '--json', '--no-probes']);
        expect(r.json?.error?.code, r.stdout + r.stderr).toBe(c.code);
        expect(r.status).toBe(c.status);
        expect(r.json.error.message).toMatch(c.message);
        expect(r.json.error.actions.length).toBeGreaterThan(0);
      }
      expect(save()).toBe(live);
    });
  }
});
