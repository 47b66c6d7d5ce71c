import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStateDir } from '../helpers/state-dir.js';
import { expectContract } from '../helpers/contract.js';

// The admin's table: a counted SSH rule, a web rule, a static blocklist, a set filled by packets, an
// interval set of blocked networks (auto-merged), and a second base chain the change never touches.
const BASE = `table inet mine {
  set blocklist { type ipv4_addr; elements = { 192.0.2.1 } }
  set seen { type ipv4_addr; flags dynamic; }
  set nets { type ipv4_addr; flags interval; auto-merge; elements = { 10.55.1.0/24 } }
  chain input {
    type filter hook input priority 0; policy accept;
    ip protocol icmp add @seen { ip saddr } counter
    tcp dport 22 counter accept
    tcp dport 80 accept
    ip saddr @blocklist drop
    ip saddr @nets drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
  }
}
`;
// Removes the web rule, adds two rules, adds a blocklist element, a new chain with a jump, a new set.
const CHANGE = `delete rule inet mine input handle HANDLE80
add rule inet mine input tcp dport 8080 accept
insert rule inet mine input tcp dport 9999 drop
add element inet mine blocklist { 192.0.2.2 }
add chain inet mine extra
add rule inet mine extra counter
add rule inet mine input jump extra
add set inet mine newset { type inet_service; }
`;

// Blocks the peer's network: 10.55.0.0/24 merges with 10.55.1.0/24 into one interval, 10.55.0.0/23.
const BLOCK_PEER = `add element inet mine nets { 10.55.0.0/24 }
insert rule inet mine input tcp dport 9999 drop
`;

/** What a TCP SYN from the peer meets: 'refused' (let through: no listener answers RST) or 'dropped'. */
function tcpVerdict(peer: string, port: number): 'refused' | 'dropped' | string {
  const script = `const s = require('node:net').connect(${port}, '10.55.0.1');
    s.setTimeout(700, () => { console.log('dropped'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code); process.exit(0); });
    s.on('connect', () => { console.log('open'); process.exit(0); });`;
  const r = spawnSync('ip', ['netns', 'exec', peer, process.execPath, '-e', script], { encoding: 'utf8' });
  return r.stdout.trim();
}

/** The table as text without handles and counter values: what "the same rules" means. */
function shape(ns: string): string {
  return nft(ns, ['list', 'table', 'inet', 'mine'])
    .replace(/counter packets \d+ bytes \d+/g, 'counter')
    .replace(/elements = \{[^}]*\}/g, (m) => m.replace(/\s+/g, ' '));
}
const counterOf = (ns: string, match: string): number => {
  const line =
    nft(ns, ['list', 'table', 'inet', 'mine'])
      .split('\n')
      .find((l) => l.includes(match)) ?? '';
  return Number(/counter packets (\d+)/.exec(line)?.[1] ?? -1);
};
const handleOf = (ns: string, match: string): number => {
  const line =
    nft(ns, ['-a', 'list', 'table', 'inet', 'mine'])
      .split('\n')
      .find((l) => l.includes(match)) ?? '';
  return Number(/# handle (\d+)/.exec(line)?.[1] ?? -1);
};

describe.skipIf(!isRoot)('inverse-delta rollback: only what the change did is undone', () => {
  const ns = useNetns('inv');
  const state = useStateDir();
  let peer = '';
  let dir = '';
  beforeEach(() => {
    peer = createNetns('invp');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-inv-'));
    inNetns(ns.name, 'ip', ['link', 'add', 'iv0', 'type', 'veth', 'peer', 'name', 'iv1', 'netns', peer]);
    inNetns(ns.name, 'ip', ['addr', 'add', '10.55.0.1/24', 'dev', 'iv0']);
    inNetns(peer, 'ip', ['addr', 'add', '10.55.0.2/24', 'dev', 'iv1']);
    inNetns(ns.name, 'ip', ['link', 'set', 'iv0', 'up']);
    inNetns(peer, 'ip', ['link', 'set', 'iv1', 'up']);
    loadRuleset(ns.name, BASE);
  });
  afterEach(() => {
    killWatchdog(state.path);
    deleteNetns(peer);
    removeStateDir(dir);
  });

  const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);
  const apply = (timeout: number, change = CHANGE) => {
    const file = join(dir, 'change.nft');
    writeFileSync(file, change.replace('HANDLE80', String(handleOf(ns.name, 'tcp dport 80 accept'))));
    const r = cli('apply', file, '--no-wait', '--yes', '--no-probes', '--timeout', String(timeout), '--json');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(nft(ns.name, ['list', 'table', 'inet', 'mine'])).toContain('tcp dport 9999 drop');
    return r.json.versionId as number;
  };
  const rolledBack = async (versionId: number) => {
    expect(
      await waitFor(
        () =>
          cli('log', '--json').json.versions.find((v: { id: number }) => v.id === versionId)?.change?.state !==
          'pending',
        30_000,
      ),
    ).toBe(true);
    return cli('log', '--json').json.versions.find((v: { id: number }) => v.id === versionId).change;
  };
  const ping = (count: number) => inNetns(peer, 'ping', ['-c', String(count), '-i', '0.2', '-W', '1', '10.55.0.1']);

  it('no foreign activity: the table comes back rule for rule, in order', async () => {
    const before = shape(ns.name);
    const version = apply(3);
    const change = await rolledBack(version);
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackReason: 'timeout',
      rollbackMethod: 'inverse',
      overwritten: [],
    });
    expect(shape(ns.name)).toBe(before);
  });

  it('what others add during the window survives: a chain and a jump, a set element, elements filled by packets; counters keep counting', async () => {
    ping(2);
    const sshCounter = counterOf(ns.name, 'add @seen');
    const version = apply(5);
    // Another controller (fail2ban-like) inside the touched table, and a ban added to the blocklist.
    nft(ns.name, ['add', 'chain', 'inet', 'mine', 'f2b-sshd']);
    nft(ns.name, ['add', 'rule', 'inet', 'mine', 'f2b-sshd', 'ip', 'saddr', '203.0.113.9', 'reject']);
    nft(ns.name, ['insert', 'rule', 'inet', 'mine', 'input', 'tcp', 'dport', '22', 'jump', 'f2b-sshd']);
    nft(ns.name, ['add', 'element', 'inet', 'mine', 'blocklist', '{', '198.51.100.7', '}']);
    ping(3);
    const change = await rolledBack(version);
    // Kept, and named with what the others changed (issue 11).
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'inverse',
      overwritten: [],
      kept: ['inet mine (set blocklist: +1 -0 line(s), chain input: +1 -0 line(s), chain f2b-sshd added)'],
    });
    const live = nft(ns.name, ['list', 'table', 'inet', 'mine']);
    // The change is gone…
    for (const gone of ['8080', '9999', '192.0.2.2', 'chain extra', 'newset', 'jump extra'])
      expect(live).not.toContain(gone);
    // …its removed rule is back in place…
    expect(live).toMatch(
      /tcp dport 22 counter packets \d+ bytes \d+ accept\n\s+tcp dport 80 accept\n\s+ip saddr @blocklist drop/,
    );
    // …and what others did survives.
    expect(live).toContain('chain f2b-sshd');
    expect(live).toContain('jump f2b-sshd');
    expect(live).toContain('198.51.100.7');
    expect(live).toContain('192.0.2.1');
    expect(live).toContain('10.55.0.2');
    // The counter of an untouched rule kept counting across apply and rollback (never reset to plan time).
    expect(counterOf(ns.name, 'add @seen')).toBeGreaterThanOrEqual(sshCounter + 3);
  });

  // The posture the peer meets: SSH and web let through, 9999 (the change drops it) and 25 (another program drops it).
  const posture = () => [22, 80, 25, 9999].map((port) => `${port}:${tcpVerdict(peer, port)}`).join(' ');
  const chainText = (chain: string) =>
    nft(ns.name, ['list', 'chain', 'inet', 'mine', chain]).replace(/counter packets \d+ bytes \d+/g, 'counter');

  it('a conflict (another program deleted the rule the re-insertion is anchored on) restores only that chain whole, names what it overwrote, and keeps the rest', async () => {
    const beforePosture = posture();
    expect(beforePosture).toBe('22:refused 80:refused 25:refused 9999:refused');
    const inputBefore = chainText('input');
    const version = apply(5);
    expect(tcpVerdict(peer, 9999)).toBe('dropped');
    // Another program: deletes the rule the change's re-insertion is anchored on, drops port 25 in the same
    // chain (both lost to the chain's restore), and works in another chain and a set of the same table (kept).
    nft(ns.name, [
      'delete',
      'rule',
      'inet',
      'mine',
      'input',
      'handle',
      String(handleOf(ns.name, 'tcp dport 22 counter')),
    ]);
    nft(ns.name, ['insert', 'rule', 'inet', 'mine', 'input', 'tcp', 'dport', '25', 'drop']);
    nft(ns.name, ['add', 'rule', 'inet', 'mine', 'out', 'udp', 'dport', '53', 'counter', 'accept']);
    nft(ns.name, ['add', 'element', 'inet', 'mine', 'blocklist', '{', '198.51.100.7', '}']);
    const change = await rolledBack(version);
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'inverse',
      error: null,
      overwritten: [
        'inet mine chain input (restored whole: lost what others added: "tcp dport 25 drop"; put back what others deleted: "tcp dport 22 counter accept")',
      ],
      overwrittenObjects: [
        {
          table: 'inet mine',
          object: 'chain input',
          lost: ['tcp dport 25 drop'],
          putBack: ['tcp dport 22 counter accept'],
          removed: false,
        },
      ],
      kept: ['inet mine (set blocklist: +1 -0 line(s), chain out: +1 -0 line(s))'],
    });
    expect(change.conflict).toMatch(/could not run as it was .*restored whole instead: chain inet mine input$/);
    // The chain is as before, rule for rule; what others did elsewhere in the table survives; the change is gone.
    expect(chainText('input')).toBe(inputBefore);
    const live = nft(ns.name, ['list', 'table', 'inet', 'mine']);
    expect(live).toContain('udp dport 53 counter packets');
    expect(live).toContain('198.51.100.7');
    for (const gone of ['8080', '9999', '192.0.2.2', 'chain extra', 'newset']) expect(live).not.toContain(gone);
    // Real packets meet the posture of before the change.
    expect(posture()).toBe(beforePosture);
    const text = cli('log').stdout;
    expect(text).toContain('rollback overwrote changes made by others to: inet mine chain input (restored whole:');
    expect(text).toContain('lost from inet mine chain input (others added it): "tcp dport 25 drop"');
    expect(text).toContain('put back in inet mine chain input (others deleted it): "tcp dport 22 counter accept"');
    expect(text).toContain('restored whole instead: chain inet mine input');
    const shown = cli('show', String(version), '--json');
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.json.version.change.overwrittenObjects).toEqual(change.overwrittenObjects);
    await expectContract('show', shown.json);
    await expectContract('log', cli('log', '--json').json);
  });

  // The change deletes an object of the admin's; another program makes one of that name in the window.
  const remade = [
    {
      object: 'chain web',
      // chain web, jumped to from input; the change deletes both
      setup:
        'add chain inet mine web\nadd rule inet mine web tcp dport 8443 counter drop\nadd rule inet mine input jump web\n',
      change: () => `delete rule inet mine input handle ${handleOf(ns.name, 'jump web')}\ndelete chain inet mine web\n`,
      foreign: 'add chain inet mine web\nadd rule inet mine web udp dport 5353 accept\n',
      lost: 'udp dport 5353 accept',
      list: ['chain', 'inet', 'mine', 'web'],
    },
    {
      object: 'set allow',
      setup: 'add set inet mine allow { type ipv4_addr; elements = { 192.0.2.50 }; }\n',
      change: () => 'delete set inet mine allow\n',
      foreign: 'add set inet mine allow { type ipv4_addr; }\nadd element inet mine allow { 198.51.100.9 }\n',
      lost: '198.51.100.9',
      list: ['set', 'inet', 'mine', 'allow'],
    },
  ];
  for (const c of remade) {
    it(`${c.object}: deleted by the change, made again by another program under that name — a detected conflict (File exists); only it is restored whole, never merged with the other program's, and what that program put in it is named as lost`, async () => {
      nft(ns.name, ['-f', '-'], c.setup);
      const before = shape(ns.name);
      const objectBefore = nft(ns.name, ['list', ...c.list]).replace(/counter packets \d+ bytes \d+/g, 'counter');
      const version = apply(4, `${c.change()}insert rule inet mine input tcp dport 9999 drop\n`);
      expect(nft(ns.name, ['list', 'table', 'inet', 'mine'])).not.toContain(c.object);
      nft(ns.name, ['-f', '-'], c.foreign);
      const change = await rolledBack(version);
      const [kind, name] = c.object.split(' ') as [string, string];
      expect(change).toMatchObject({
        state: 'rolled-back',
        rollbackMethod: 'inverse',
        error: null,
        overwritten: [`inet mine ${c.object} (restored whole: lost what others added: "${c.lost}")`],
        overwrittenObjects: [{ table: 'inet mine', object: c.object, lost: [c.lost], putBack: [], removed: false }],
      });
      expect(change.conflict).toMatch(
        new RegExp(`could not run as it was \\(.*File exists\\).*restored whole instead: ${kind} inet mine ${name}$`),
      );
      // The object is the admin's again, line for line; the whole table is as before the change.
      expect(nft(ns.name, ['list', ...c.list]).replace(/counter packets \d+ bytes \d+/g, 'counter')).toBe(objectBefore);
      expect(shape(ns.name)).toBe(before);
      expect(cli('log').stdout).toContain(`lost from inet mine ${c.object} (others added it): "${c.lost}"`);
    });
  }

  it('what cannot be restored alone (a chain the change created, now jumped to by another program) restores its table whole, naming every object it overwrote', async () => {
    const before = shape(ns.name);
    const version = apply(4);
    nft(ns.name, ['add', 'rule', 'inet', 'mine', 'out', 'jump', 'extra']);
    const change = await rolledBack(version);
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'whole-table',
      error: null,
      overwritten: ['inet mine (chain out: +1 -0 line(s))'],
      overwrittenObjects: [
        { table: 'inet mine', object: 'chain out', lost: ['jump extra'], putBack: [], removed: false },
      ],
    });
    expect(change.conflict).toMatch(/restored whole instead: table inet mine$/);
    expect(shape(ns.name)).toBe(before);
  });

  // Issue 11: "where a restore is needed, it keeps the counters of the moment". Real packets count during
  // the window; the restore (a chain or the whole table, forced by another program's edit) carries them.
  it('a chain restored whole keeps the counters of the moment: packets counted during the window survive', async () => {
    ping(2);
    const atApply = counterOf(ns.name, 'add @seen');
    const version = apply(6);
    nft(ns.name, [
      'delete',
      'rule',
      'inet',
      'mine',
      'input',
      'handle',
      String(handleOf(ns.name, 'tcp dport 22 counter')),
    ]);
    ping(4);
    const inWindow = counterOf(ns.name, 'add @seen');
    expect(inWindow).toBeGreaterThanOrEqual(atApply + 4);
    const change = await rolledBack(version);
    expect(change.conflict).toMatch(/restored whole instead: chain inet mine input$/);
    // Restored from the plan's listing, but with the live value of the rule that stayed: not reset to apply time.
    expect(counterOf(ns.name, 'add @seen')).toBeGreaterThanOrEqual(inWindow);
    // The rule others deleted comes back with the value it had when the change was planned.
    expect(counterOf(ns.name, 'tcp dport 22 counter')).toBe(0);
  });

  it('a table restored whole keeps the counters of the moment: packets counted during the window survive', async () => {
    ping(2);
    const atApply = counterOf(ns.name, 'add @seen');
    const version = apply(6);
    nft(ns.name, ['add', 'rule', 'inet', 'mine', 'out', 'jump', 'extra']);
    ping(4);
    const inWindow = counterOf(ns.name, 'add @seen');
    expect(inWindow).toBeGreaterThanOrEqual(atApply + 4);
    const change = await rolledBack(version);
    expect(change).toMatchObject({ state: 'rolled-back', rollbackMethod: 'whole-table', error: null });
    expect(change.conflict).toMatch(/restored whole instead: table inet mine$/);
    expect(counterOf(ns.name, 'add @seen')).toBeGreaterThanOrEqual(inWindow);
  });

  it('an interval element that merged with its neighbour is inverted exactly when nobody else touched the set', async () => {
    const before = shape(ns.name);
    expect(tcpVerdict(peer, 7)).toBe('refused');
    const version = apply(4, BLOCK_PEER);
    expect(nft(ns.name, ['list', 'set', 'inet', 'mine', 'nets'])).toContain('10.55.0.0/23');
    expect(tcpVerdict(peer, 7)).toBe('dropped');
    const change = await rolledBack(version);
    expect(change).toMatchObject({ state: 'rolled-back', rollbackMethod: 'inverse', overwritten: [], conflict: null });
    expect(shape(ns.name)).toBe(before);
    expect(tcpVerdict(peer, 7)).toBe('refused');
  });

  it('an interval another program merged further: only that set is restored whole, the element it lost is named', async () => {
    const before = shape(ns.name);
    const version = apply(4, BLOCK_PEER);
    // 10.55.2.0/24 merges the change's 10.55.0.0/23 into 10.55.0.0-10.55.2.255: the element the inverse deletes is gone.
    nft(ns.name, ['add', 'element', 'inet', 'mine', 'nets', '{', '10.55.2.0/24', '}']);
    nft(ns.name, ['add', 'element', 'inet', 'mine', 'blocklist', '{', '198.51.100.7', '}']);
    expect(nft(ns.name, ['list', 'set', 'inet', 'mine', 'nets'])).toContain('10.55.0.0-10.55.2.255');
    const change = await rolledBack(version);
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'inverse',
      error: null,
      overwrittenObjects: [
        { table: 'inet mine', object: 'set nets', lost: ['10.55.0.0-10.55.2.255'], putBack: [], removed: false },
      ],
      kept: ['inet mine (set blocklist: +1 -0 line(s))'],
    });
    expect(change.conflict).toMatch(/restored whole instead: set inet mine nets$/);
    // The set is as before; the rest of the table is as before but for the other program's element; the peer passes again.
    expect(nft(ns.name, ['list', 'set', 'inet', 'mine', 'nets'])).toMatch(/elements = \{ 10\.55\.1\.0\/24 \}/);
    expect(shape(ns.name).replace('192.0.2.1, 198.51.100.7', '192.0.2.1')).toBe(before);
    expect(tcpVerdict(peer, 7)).toBe('refused');
  });
});
