// "The record never lies": each failure path of issue 11, replayed against the real kernel in a namespace.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import {
  createNetns,
  deleteNetns,
  inNetns,
  isRoot,
  liveRuleset,
  loadRuleset,
  nft,
  useNetns,
} from '../helpers/netns.js';
import { writePlan } from '../e2e/plan-fixture.js';
import { sha256 } from '../../src/snapshot/hash.js';
import { killWatchdog, pendingWatchdog, versionRecord, waitFor, waitForRuleset } from '../e2e/state-probe.js';

const BASE = `table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter packets 7 bytes 700 accept
  }
}
`;
const CHANGE = `table inet filter
delete table inet filter
table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 2222 counter accept
  }
}
`;
const TOUCHED = [{ family: 'inet', name: 'filter' }];
const changed = (t: string): boolean => t.includes('dport 2222');

describe.skipIf(!isRoot)('truthful outcomes (real nft / iptables-nft in a namespace)', () => {
  const ns = useNetns('out');
  const state = useStateDir();
  const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);
  afterEach(() => killWatchdog(state.path));

  it('a kernel rejection restores nothing: counters of the moment and rule handles stay, checked against the kernel', async () => {
    loadRuleset(ns.name, BASE);
    const good = await writePlan(state.path, ns.name, CHANGE, TOUCHED);
    const plan = JSON.parse(readFileSync(good, 'utf8'));
    plan.proposal.text = 'table inet filter {\n chain input { jump nowhere\n }\n}\n';
    plan.proposal.sha256 = sha256(plan.proposal.text);
    writeFileSync(good, JSON.stringify(plan));
    // Counters move after the plan (they are not part of the plan's base hash): 7 at plan time, 3 now.
    const handle = /dport 22 counter .* # handle (\d+)/.exec(
      nft(ns.name, ['-a', 'list', 'table', 'inet', 'filter']),
    )![1]!;
    nft(ns.name, [
      'replace',
      'rule',
      'inet',
      'filter',
      'input',
      'handle',
      handle,
      'tcp',
      'dport',
      '22',
      'counter',
      'packets',
      '3',
      'bytes',
      '300',
      'accept',
    ]);
    const before = nft(ns.name, ['-a', 'list', 'table', 'inet', 'filter']);
    expect(before).toContain('counter packets 3 bytes 300');
    const r = cli('apply', '--plan', good, '--timeout', '20', '--no-wait', '--json');
    // The gate (issue 10) plans the plan's text again on the host: the scratch namespace rejects it
    // before anything is recorded or applied. (A rejection by the live kernel after the scratch accepted
    // it goes the abandon path, covered by the unit tests of the state machine.)
    expect(r.status, r.stdout).toBe(4);
    expect(r.json.error.message).toMatch(/Nothing was applied/);
    // Byte for byte, handles and counters included: the table was not deleted and recreated.
    expect(nft(ns.name, ['-a', 'list', 'table', 'inet', 'filter'])).toBe(before);
    expect(cli('log', '--json').json.versions.filter((v: { change: unknown }) => v.change !== null)).toEqual([]);
    expect(cli('status', '--json').json.pending).toBeNull();
  });

  it('an iptables-nft table nobody touched in the window: no false "overwritten", counters restored with -c', async () => {
    loadRuleset(ns.name, 'table inet mine {\n chain input { type filter hook input priority 0; policy accept; }\n}\n');
    inNetns(ns.name, 'iptables-nft', [
      '-w',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '25',
      '-j',
      'ACCEPT',
      '-c',
      '5',
      '500',
    ]);
    const proposal = join(state.path, 'xt.nft');
    writeFileSync(proposal, 'add rule ip filter INPUT tcp dport 99 accept\n');
    const r = cli('apply', proposal, '--no-wait', '--yes', '--force', '--no-probes', '--timeout', '4', '--json');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.json.touchedTables).toContain('ip filter');
    expect(await waitForRuleset(ns.name, (t) => !t.includes('dport 99'), 15_000)).not.toBeNull();
    expect(await waitFor(() => !existsSync(join(state.path, 'pending.json')), 10_000)).toBe(true);
    const change = versionRecord(state.path, r.json.versionId).change;
    expect(change).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout', overwritten: [], error: null });
    expect(inNetns(ns.name, 'iptables-nft-save', ['-c'])).toMatch(
      /\[5:500\] -A INPUT -p tcp -m tcp --dport 25 -j ACCEPT/,
    );
  }, 60_000);

  it('an iptables-nft table restored with -c keeps the counters of the moment: packets counted during the window survive', async () => {
    loadRuleset(ns.name, 'table inet mine {\n chain input { type filter hook input priority 0; policy accept; }\n}\n');
    inNetns(ns.name, 'iptables-nft', ['-w', '-A', 'INPUT', '-p', 'icmp', '-j', 'ACCEPT', '-c', '5', '500']);
    const icmpPackets = (): number =>
      Number(/\[(\d+):\d+\] -A INPUT -p icmp -j ACCEPT/.exec(inNetns(ns.name, 'iptables-nft-save', ['-c']))?.[1] ?? -1);
    const proposal = join(state.path, 'xt.nft');
    writeFileSync(proposal, 'add rule ip filter INPUT tcp dport 99 accept\n');
    const r = cli('apply', proposal, '--no-wait', '--yes', '--force', '--no-probes', '--timeout', '6', '--json');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    // Real packets on the namespace's loopback: each echo request and reply crosses INPUT.
    inNetns(ns.name, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1']);
    const inWindow = icmpPackets();
    expect(inWindow).toBeGreaterThanOrEqual(5 + 3);
    expect(await waitForRuleset(ns.name, (t) => !t.includes('dport 99'), 20_000)).not.toBeNull();
    expect(await waitFor(() => !existsSync(join(state.path, 'pending.json')), 10_000)).toBe(true);
    const change = versionRecord(state.path, r.json.versionId).change;
    expect(change).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout', overwritten: [], error: null });
    // Restored whole from the plan's save (-c), with the live counters: not reset to 5 packets.
    expect(icmpPackets()).toBeGreaterThanOrEqual(inWindow);
  }, 60_000);

  it('an iptables-nft table someone else changed in the window: named, with the chain that changed', async () => {
    inNetns(ns.name, 'iptables-nft', ['-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '25', '-j', 'ACCEPT']);
    const proposal = join(state.path, 'xt.nft');
    writeFileSync(proposal, 'add rule ip filter INPUT tcp dport 99 accept\n');
    const r = cli('apply', proposal, '--no-wait', '--yes', '--force', '--no-probes', '--timeout', '5', '--json');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    inNetns(ns.name, 'iptables-nft', ['-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '26', '-j', 'ACCEPT']);
    expect(await waitFor(() => !existsSync(join(state.path, 'pending.json')), 20_000)).toBe(true);
    const change = versionRecord(state.path, r.json.versionId).change;
    expect(change.overwritten).toEqual(['ip filter (chain INPUT: +1 -0 line(s))']);
  }, 60_000);

  it('a late confirm says "too late: rolled back at T (timeout)" with exit 3, not "no change is pending"', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, CHANGE, TOUCHED);
    const r = cli('apply', '--plan', plan, '--timeout', '2', '--no-wait', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(await waitFor(() => !existsSync(join(state.path, 'pending.json')), 15_000)).toBe(true);
    const c = cli('confirm', '--json');
    expect(c.status).toBe(3);
    expect(c.json.error.code).toBe('DEADLINE_PASSED');
    const at = versionRecord(state.path, r.json.versionId).change.rolledBackAt;
    expect(c.json.error.message).toBe(
      `Too late: change ${r.json.changeId} was rolled back at ${at} (timeout); the previous rules are live.`,
    );
    expect(cli('confirm', r.json.changeId).status).toBe(3);
  }, 30_000);

  it('a confirm whose --persist target cannot be written keeps the change confirmed, says so (exit 1), and can be retried', async () => {
    loadRuleset(ns.name, BASE);
    const blocker = join(state.path, 'etc');
    writeFileSync(blocker, 'a file where a directory should be\n');
    const target = join(blocker, 'nftables.conf');
    const plan = await writePlan(state.path, ns.name, CHANGE, TOUCHED);
    const r = cli('apply', '--plan', plan, '--timeout', '8', '--no-wait', `--persist=${target}`, '--json');
    expect(r.status, r.stderr).toBe(0);
    const watchdog = pendingWatchdog(state.path);
    const c = cli('confirm', r.json.changeId, '--json');
    expect(c.status).toBe(1);
    expect(c.json.error.code).toBe('PERSIST_FAILED');
    expect(c.json.error.message).toContain(`Change ${r.json.changeId} is confirmed and kept`);
    expect(c.json.error.actions.join(' ')).toContain(`fwsafe confirm ${r.json.changeId}`);
    // Claim and pending record released; the watchdog stood down; the change stays past its deadline.
    expect(existsSync(join(state.path, 'resolving'))).toBe(false);
    expect(await waitFor(() => watchdog === null || !existsSync(`/proc/${watchdog}`), 5000)).toBe(true);
    expect(versionRecord(state.path, r.json.versionId).change).toMatchObject({ state: 'confirmed' });
    expect(versionRecord(state.path, r.json.versionId).change.persistError).toContain(target);
    rmSync(blocker);
    mkdirSync(blocker);
    const retry = cli('confirm', r.json.changeId, '--json');
    expect(retry.status, retry.stdout).toBe(0);
    expect(retry.json.persistedTo).toBe(target);
    expect(readFileSync(target, 'utf8')).toContain('dport 2222');
    expect(changed(liveRuleset(ns.name))).toBe(true);
  }, 30_000);

  it('recover after the watchdog restored the rules but could not record it: "already live", nothing rewritten, nothing "overwritten"', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, CHANGE, TOUCHED);
    const r = cli('apply', '--plan', plan, '--timeout', '60', '--no-wait', '--json');
    expect(r.status, r.stderr).toBe(0);
    // What a watchdog on a full disk does: restore from memory, record nothing, exit.
    killWatchdog(state.path);
    loadRuleset(ns.name, JSON.parse(readFileSync(plan, 'utf8')).rollback.nftScript);
    const before = nft(ns.name, ['-a', 'list', 'table', 'inet', 'filter']);
    const status = cli('status');
    expect(status.stdout).toContain('it checks what is live');
    const rec = cli('recover', '--json');
    expect(rec.status, rec.stdout).toBe(0);
    expect(rec.json.result).toMatchObject({ status: 'rolled-back', restored: false, overwritten: [] });
    expect(cli('recover').stdout).toContain('No change is pending');
    expect(nft(ns.name, ['-a', 'list', 'table', 'inet', 'filter'])).toBe(before);
    expect(versionRecord(state.path, r.json.versionId).change.note).toContain('already live');
  }, 30_000);
});

describe.skipIf(!isRoot)('versions and plans apply only where they were taken', () => {
  const a = useNetns('wa');
  const state = useStateDir();
  let b = '';
  afterEach(() => {
    killWatchdog(state.path);
    if (b) deleteNetns(b);
    b = '';
  });

  it('a plan made for namespace A is refused in namespace B (exit 15), and so are rollback N and diff N live', () => {
    b = createNetns('wb');
    for (const ns of [a.name, b]) loadRuleset(ns, BASE);
    const proposal = join(state.path, 'p.nft');
    writeFileSync(proposal, 'add rule inet filter input tcp dport 443 accept\n');
    const planFile = join(state.path, 'plan-a.json');
    const p = fwsafe([
      '--netns',
      a.name,
      '--state-dir',
      state.path,
      'plan',
      proposal,
      '--no-probes',
      '--out',
      planFile,
    ]);
    expect(p.status, p.stderr).toBe(0);
    const inB = fwsafe(['--netns', b, '--state-dir', state.path, 'apply', '--plan', planFile, '--no-wait', '--json']);
    expect(inB.status, inB.stdout).toBe(15);
    expect(inB.json.error.code).toBe('FROM_ELSEWHERE');
    expect(inB.json.error.message).toContain(`namespace ${a.name}`);
    expect(liveRuleset(b)).not.toContain('443');
    const snap = fwsafe(['--netns', a.name, '--state-dir', state.path, 'snapshot', '--json']);
    expect(snap.status).toBe(0);
    const id = String(snap.json.version.id);
    expect(fwsafe(['--netns', b, '--state-dir', state.path, 'rollback', id, '--no-wait', '--json']).status).toBe(15);
    expect(fwsafe(['--netns', b, '--state-dir', state.path, 'diff', id, '--json']).status).toBe(15);
    expect(fwsafe(['--netns', a.name, '--state-dir', state.path, 'diff', id, '--json']).status).toBe(0);
    expect(fwsafe(['--netns', b, '--state-dir', state.path, 'diff', id, '--from-elsewhere', '--json']).status).toBe(0);
    // log says where each version was taken.
    const log = fwsafe(['--netns', b, '--state-dir', state.path, 'log']);
    expect(log.stdout).toContain(`ns ${a.name}#`);
    expect(fwsafe(['--netns', a.name, '--state-dir', state.path, 'log']).stdout).toMatch(/snapshot\s+here/);
  }, 60_000);
});
