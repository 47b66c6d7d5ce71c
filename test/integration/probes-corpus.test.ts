import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbes } from '../../src/probes/index.js';
import { limiter } from '../helpers/limiter.js';
import { isRoot } from '../helpers/netns.js';

// Each proposal is loaded on top of BASE. Prediction (fwsafe's probes) is compared with reality: the
// proposal applied with plain `ip netns exec … nft -f` in an independent namespace pair, with a real
// TCP session opened before the swap and a new connection after it.
const BASE = `table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif "lo" accept
    meta l4proto ipv6-icmp accept
    tcp dport 22 accept
  }
}
`;
// Neighbour discovery stays open in every variant, so IPv6 cases test SSH, not a broken IPv6.
const REPLACE = (body: string) =>
  `table inet filter\ndelete table inet filter\ntable inet filter {\n  chain input { type filter hook input priority 0; policy drop;\n    meta l4proto ipv6-icmp accept\n${body}\n  }\n}\n`;
const V4 = { client: '198.51.100.9', server: '203.0.113.5' };
const V6 = { client: '2001:db8:9::9', server: '2001:db8:5::5' };

interface Case {
  name: string;
  proposal: string;
  lockout: boolean;
  v6?: boolean;
  decidedBy?: RegExp;
}
const CASES: Case[] = [
  // Lockouts
  {
    name: 'policy drop without an ssh accept',
    proposal: REPLACE('    ct state established,related accept\n    tcp dport 443 accept'),
    lockout: true,
    decidedBy: /policy drop/,
  },
  {
    name: 'reject instead of accept',
    proposal: 'insert rule inet filter input tcp dport 22 reject\n',
    lockout: true,
    decidedBy: /reject/,
  },
  {
    name: 'source allow-list that misses the admin',
    proposal: REPLACE('    ct state established,related accept\n    ip saddr 10.0.0.0/8 tcp dport 22 accept'),
    lockout: true,
  },
  {
    name: 'iifname mismatch',
    proposal: REPLACE('    ct state established,related accept\n    iifname "eth1" tcp dport 22 accept'),
    lockout: true,
  },
  {
    name: 'missing ct state established (session cut)',
    proposal: REPLACE('    ct state new tcp dport 22 accept'),
    lockout: true,
  },
  {
    name: 'ssh moved to 2222',
    proposal: REPLACE('    ct state established,related accept\n    tcp dport 2222 accept'),
    lockout: true,
  },
  {
    name: 'IPv6-only lockout',
    proposal:
      'table ip6 guard {\n  chain input { type filter hook input priority -10; policy drop;\n    meta l4proto ipv6-icmp accept\n  }\n}\n',
    lockout: true,
    v6: true,
    decidedBy: /ip6 guard input: policy drop/,
  },
  {
    name: 'jump into a chain that drops',
    proposal:
      'add chain inet filter deny\nadd rule inet filter deny drop\ninsert rule inet filter input tcp dport 22 jump deny\n',
    lockout: true,
    decidedBy: /deny: drop/,
  },
  {
    name: 'goto a chain that drops',
    proposal: 'add chain inet filter g\nadd rule inet filter g counter drop\ninsert rule inet filter input goto g\n',
    lockout: true,
  },
  {
    name: 'set lookup that excludes the admin',
    proposal: REPLACE(
      '    ct state established,related accept\n    ip saddr { 10.0.0.1, 192.0.2.7 } tcp dport 22 accept',
    ),
    lockout: true,
  },
  {
    name: 'named set that excludes the admin',
    proposal:
      'table inet filter\ndelete table inet filter\ntable inet filter {\n  set admins { type ipv4_addr; elements = { 10.0.0.1 }; }\n  chain input { type filter hook input priority 0; policy drop;\n    meta l4proto ipv6-icmp accept\n    ct state established,related accept\n    ip saddr @admins tcp dport 22 accept\n  }\n}\n',
    lockout: true,
  },
  {
    name: 'a second table at a later priority drops',
    proposal: 'table inet late {\n  chain input { type filter hook input priority 10; policy drop;\n  }\n}\n',
    lockout: true,
    decidedBy: /inet late input: policy drop/,
  },
  {
    name: 'an early prerouting table drops',
    proposal: 'table inet early {\n  chain pre { type filter hook prerouting priority -300; policy drop;\n  }\n}\n',
    lockout: true,
  },
  {
    name: 'new connections dropped by ct state',
    proposal: 'insert rule inet filter input ct state new drop\n',
    lockout: true,
  },
  { name: 'syn packets dropped', proposal: 'insert rule inet filter input tcp flags syn drop\n', lockout: true },
  {
    name: 'all tcp dropped at the top',
    proposal: 'insert rule inet filter input meta l4proto tcp drop\n',
    lockout: true,
  },
  { name: 'low ports dropped', proposal: 'insert rule inet filter input tcp dport 1-1024 drop\n', lockout: true },
  {
    name: 'the admin subnet banned',
    proposal: 'insert rule inet filter input ip saddr 198.51.100.0/24 drop\n',
    lockout: true,
  },
  {
    name: 'everything on eth0 dropped',
    proposal: 'insert rule inet filter input iifname "eth0" drop\n',
    lockout: true,
  },
  {
    name: 'established traffic dropped',
    proposal: 'insert rule inet filter input ct state established drop\n',
    lockout: true,
  },
  {
    name: 'IPv6 allow-list that misses the admin',
    proposal: REPLACE('    ct state established,related accept\n    ip6 saddr 2001:db8:aaaa::/48 tcp dport 22 accept'),
    lockout: true,
    v6: true,
  },
  {
    name: 'output policy drop (the replies never leave)',
    proposal: 'table inet out {\n  chain output { type filter hook output priority 0; policy drop;\n  }\n}\n',
    lockout: true,
  },
  // Safe
  { name: 'open 443', proposal: 'add rule inet filter input tcp dport { 80, 443 } accept\n', lockout: false },
  {
    name: 'the same baseline again',
    proposal: REPLACE('    ct state established,related accept\n    iif "lo" accept\n    tcp dport 22 accept'),
    lockout: false,
  },
  {
    name: 'a blocklist of other addresses',
    proposal:
      'add set inet filter block { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 }; }\ninsert rule inet filter input ip saddr @block drop\n',
    lockout: false,
  },
  {
    name: 'an allow-list that includes the admin',
    proposal: REPLACE('    ct state established,related accept\n    ip saddr 198.51.100.0/24 tcp dport 22 accept'),
    lockout: false,
  },
  {
    name: 'ssh on 22 and 2222',
    proposal: REPLACE('    ct state established,related accept\n    tcp dport { 22, 2222 } accept'),
    lockout: false,
  },
  { name: 'telnet dropped', proposal: 'insert rule inet filter input tcp dport 23 drop\n', lockout: false },
  {
    name: 'a later table that accepts ssh and established',
    proposal:
      'table inet late {\n  chain input { type filter hook input priority 10; policy drop;\n    ct state established,related accept\n    tcp dport 22 accept\n  }\n}\n',
    lockout: false,
  },
  {
    name: 'jump to a chain that accepts ssh',
    proposal:
      'add chain inet filter ssh\nadd rule inet filter ssh accept\ninsert rule inet filter input tcp dport 22 jump ssh\n',
    lockout: false,
  },
  {
    name: 'an output chain that only logs',
    proposal:
      'table inet out {\n  chain output { type filter hook output priority 0; policy accept;\n    tcp sport 22 counter\n  }\n}\n',
    lockout: false,
  },
  {
    name: 'IPv6 all dropped while the admin uses IPv4',
    proposal: 'table ip6 guard {\n  chain input { type filter hook input priority -10; policy drop;\n  }\n}\n',
    lockout: false,
  },
  {
    name: 'ssh accepted on the right interface',
    proposal: REPLACE('    ct state established,related accept\n    iifname "eth0" tcp dport 22 accept'),
    lockout: false,
  },
];

const LISTEN = `const n=require('net');n.createServer(s=>{s.on('data',d=>s.write(d));s.on('error',()=>{})}).listen({port:22,host:'::',ipv6Only:false},()=>console.log('up'))`;
const SESSION = `const n=require('net');const s=n.connect({host:process.argv[1],port:22,localAddress:process.argv[2]},()=>console.log('c'));s.on('data',()=>console.log('e'));s.on('error',()=>{});process.stdin.on('data',d=>s.write(d))`;
const CONNECT = `const n=require('net');const s=n.connect({host:process.argv[1],port:22,localAddress:process.argv[2]});const t=setTimeout(()=>{console.log('timeout');process.exit(0)},1500);s.on('connect',()=>{console.log('ok');process.exit(0)});s.on('error',()=>{console.log('err');process.exit(0)})`;

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
const waitFor = async (get: () => string, word: string, ms: number) => {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (get().includes(word)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
};

/** What really happens: independent of fwsafe's probe code. */
async function reality(c: Case, dir: string, i: number): Promise<{ session: boolean; login: boolean }> {
  const a = c.v6 ? V6 : V4;
  const h = `fwsafe-test-rh${i}-${process.pid}`;
  const cl = `fwsafe-test-rc${i}-${process.pid}`;
  const kids: ChildProcess[] = [];
  try {
    ip('netns', 'add', h);
    ip('netns', 'add', cl);
    ip('-n', h, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', cl);
    for (const [ns, own, other] of [
      [h, a.server, a.client],
      [cl, a.client, a.server],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'addr', 'add', `${own}/${c.v6 ? 128 : 32}`, 'dev', 'eth0', ...(c.v6 ? ['nodad'] : []));
      ip('-n', ns, 'route', 'add', `${other}/${c.v6 ? 128 : 32}`, 'dev', 'eth0');
    }
    writeFileSync(join(dir, `b${i}.nft`), BASE);
    writeFileSync(join(dir, `p${i}.nft`), c.proposal);
    spawnSync('ip', ['netns', 'exec', h, 'nft', '-f', join(dir, `b${i}.nft`)]);
    const srv = spawn('ip', ['netns', 'exec', h, process.execPath, '-e', LISTEN]);
    kids.push(srv);
    let so = '';
    srv.stdout.on('data', (d) => (so += d));
    await waitFor(() => so, 'up', 3000);
    const sess = spawn('ip', ['netns', 'exec', cl, process.execPath, '-e', SESSION, a.server, a.client]);
    kids.push(sess);
    let out = '';
    sess.stdout.on('data', (d) => (out += d));
    await waitFor(() => out, 'c', 3000);
    sess.stdin.write('x\n');
    await waitFor(() => out, 'e', 2000);
    spawnSync('ip', ['netns', 'exec', h, 'nft', '-f', join(dir, `p${i}.nft`)]);
    const before = out.length;
    sess.stdin.write('y\n');
    const session = await waitFor(() => out.slice(before), 'e', 1500);
    const r = spawnSync('ip', ['netns', 'exec', cl, process.execPath, '-e', CONNECT, a.server, a.client], {
      encoding: 'utf8',
    });
    return { session, login: r.stdout.trim() === 'ok' };
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    ip('netns', 'del', h);
    ip('netns', 'del', cl);
  }
}

describe.skipIf(!isRoot)('lockout prediction: probes agree with reality', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-corpus-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // (The corpus size is in the title: a test asserting its own fixture list could never fail.)
  it(`every prediction matches what really happens, and names the deciding rule (${CASES.filter((c) => c.lockout).length} lockouts, ${CASES.filter((c) => !c.lockout).length} safe changes)`, async () => {
    const rows: string[] = [];
    let agree = 0;
    const run = async (c: Case, i: number) => {
      const a = c.v6 ? V6 : V4;
      const file = join(dir, `probe${i}.nft`);
      writeFileSync(file, c.proposal);
      const predicted = await runProbes({
        baseText: BASE,
        proposalPath: file,
        proposalText: c.proposal,
        ssh: { client: a.client, clientPort: 40000 + i, server: a.server, serverPort: 22 },
        sshPorts: [22],
        ifname: 'eth0',
        mustAllow: [],
        mustDeny: [],
      });
      const predictedLockout = predicted.some((p) => !p.pass);
      const real = await reality(c, dir, i);
      const realLockout = !real.session || !real.login;
      const ok = predictedLockout === realLockout && realLockout === c.lockout;
      if (ok) agree += 1;
      const failing = predicted.filter((p) => !p.pass);
      rows.push(
        `${ok ? 'agree   ' : 'DISAGREE'} ${c.name}: predicted ${predictedLockout ? 'lockout' : 'safe'}, real ${realLockout ? 'lockout' : 'safe'}${failing[0]?.decidedBy ? ` — ${failing[0].decidedBy}` : ''}`,
      );
      if (c.lockout)
        expect(
          failing.some((p) => p.decidedBy !== null),
          `${c.name}: no deciding rule traced`,
        ).toBe(true);
      if (c.decidedBy) expect(failing.map((p) => p.decidedBy).join(' | '), c.name).toMatch(c.decidedBy);
    };
    // Two cases at a time, as before, but the next one starts as soon as either is done (no pairs).
    const two = limiter(2);
    const settled = await Promise.allSettled(CASES.map((c, i) => two(() => run(c, i))));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    console.log(`probe corpus: ${agree}/${CASES.length} agree with reality\n  ${rows.sort().join('\n  ')}`);
    expect(agree).toBe(CASES.length);
  }, 300_000);
});
