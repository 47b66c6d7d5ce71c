import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStateDir } from '../helpers/state-dir.js';

// The admin's table: a counted SSH rule, a web rule, a static blocklist, a set filled by packets.
const BASE = `table inet mine {
  set blocklist { type ipv4_addr; elements = { 192.0.2.1 } }
  set seen { type ipv4_addr; flags dynamic; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip protocol icmp add @seen { ip saddr } counter
    tcp dport 22 counter accept
    tcp dport 80 accept
    ip saddr @blocklist drop
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
  const apply = (timeout: number) => {
    const file = join(dir, 'change.nft');
    writeFileSync(file, CHANGE.replace('HANDLE80', String(handleOf(ns.name, 'tcp dport 80 accept'))));
    const r = cli('apply', file, '--no-wait', '--yes', '--no-probes', '--timeout', String(timeout), '--json');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(nft(ns.name, ['list', 'table', 'inet', 'mine'])).toContain('tcp dport 8080 accept');
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

  it('a conflict (another program deleted the rule the re-insertion is anchored on) falls back to the whole table and says so', async () => {
    const before = shape(ns.name);
    const version = apply(4);
    const anchor = handleOf(ns.name, 'tcp dport 22 counter');
    nft(ns.name, ['delete', 'rule', 'inet', 'mine', 'input', 'handle', String(anchor)]);
    const change = await rolledBack(version);
    expect(change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'whole-table',
      overwritten: ['inet mine (chain input: +0 -1 line(s))'],
    });
    expect(change.conflict).toMatch(/could not run .*restored whole/);
    expect(shape(ns.name)).toBe(before);
    const text = cli('log').stdout;
    expect(text).toContain('rollback overwrote changes made by others to: inet mine');
    expect(text).toContain('the inverse of the change could not run');
  });
});
