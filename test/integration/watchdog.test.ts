import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../helpers/contract.js';
import { createNetns, deleteNetns, inNetns, isRoot, liveRuleset, loadRuleset, nft } from '../helpers/netns.js';
import { writePlan } from '../e2e/plan-fixture.js';
import { FILTER_TABLE, OPEN_8080, SSH_BASE, changed, restored, useChangeWindow } from '../helpers/window-fixture.js';
import { spawnCli, type PtySession } from '../e2e/pty.js';
import { alive, guardPids, pendingWatchdog, versionRecord, waitFor, waitForRuleset } from '../e2e/state-probe.js';

// Beside the table the change touches, one it does not.
const BASE = `${SSH_BASE}table ip untouched {
  chain c { type filter hook output priority 0; policy accept; }
}
`;

describe.skipIf(!isRoot)('the watchdog survives the session (real nft, real pty)', () => {
  const { ns, state, cli } = useChangeWindow('wd');

  const interactive = async (timeout: number): Promise<PtySession> => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    const s = spawnCli([
      '--netns',
      ns.name,
      '--state-dir',
      state.path,
      'apply',
      '--plan',
      plan,
      '--timeout',
      String(timeout),
      '--yes',
    ]);
    await s.waitForOutput('Type the code');
    expect(changed(liveRuleset(ns.name))).toBe(true);
    return s;
  };

  it('SIGKILL of the CLI: the watchdog restores at the deadline', async () => {
    const s = await interactive(3);
    s.kill('SIGKILL');
    await s.waitForExit();
    expect(changed(liveRuleset(ns.name))).toBe(true);
    expect(await waitForRuleset(ns.name, restored, 6000)).not.toBeNull();
    const log = cli('log', '--json');
    expect(log.json.versions[0].change).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout' });
  });

  it('SIGHUP to the CLI: restored at once (reason hangup)', async () => {
    const s = await interactive(30);
    s.kill('SIGHUP');
    expect(await waitForRuleset(ns.name, restored, 3000)).not.toBeNull();
    await s.waitForExit();
    expect(cli('log', '--json').json.versions[0].change).toMatchObject({
      state: 'rolled-back',
      rollbackReason: 'hangup',
    });
  });

  it('closing its terminal (an SSH disconnect): restored', async () => {
    const s = await interactive(30);
    s.hangUp();
    expect(await waitForRuleset(ns.name, restored, 3000)).not.toBeNull();
    expect(cli('status', '--json').json.pending).toBeNull();
    expect(cli('log', '--json').json.versions[0].change.state).toBe('rolled-back');
  });

  it('both guards killed: status says so, commands warn, `fwsafe recover` restores', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    const r = cli('apply', '--plan', plan, '--timeout', '30', '--no-wait', '--json');
    expect(r.status, r.stderr).toBe(0);
    const guards = Object.values(guardPids(state.path)) as number[];
    expect(guards[0]).toBe(r.json.watchdogPid);
    // Frozen first, so neither re-arms the other between the kills.
    for (const signal of ['SIGSTOP', 'SIGKILL'] as const) for (const pid of guards) process.kill(pid, signal);
    expect(await waitFor(() => guards.every((pid) => !alive(pid)), 2000)).toBe(true);
    const status = cli('status', '--json');
    expect(status.json.pending).toMatchObject({ watchdogAlive: false, stale: 'watchdog-gone' });
    expect(cli('log').stderr).toMatch(/UNGUARDED \(watchdog-gone\).*fwsafe recover/);
    const rec = cli('recover', '--json');
    expect(rec.status, rec.stderr).toBe(0);
    await expectContract('recover', rec.json);
    expect(rec.json).toMatchObject({
      found: 'stale',
      stale: 'watchdog-gone',
      result: { status: 'rolled-back', reason: 'recover' },
    });
    expect(restored(liveRuleset(ns.name))).toBe(true);
    expect(cli('recover', '--json').json.found).toBe('nothing');
  });

  it('recover leaves a guarded change alone', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    expect(cli('apply', '--plan', plan, '--timeout', '30', '--no-wait').status).toBe(0);
    expect(cli('recover', '--json').json.found).toBe('guarded');
    expect(changed(liveRuleset(ns.name))).toBe(true);
  });

  it('a foreign table, and a foreign chain in an untouched table, created in the window survive the rollback', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    expect(cli('apply', '--plan', plan, '--timeout', '6', '--no-wait').status).toBe(0);
    nft(ns.name, ['add', 'table', 'ip', 'docker-like']);
    nft(ns.name, ['add', 'chain', 'ip', 'docker-like', 'DOCKER']);
    nft(ns.name, ['add', 'chain', 'ip', 'untouched', 'f2b-sshd']);
    nft(ns.name, ['add', 'rule', 'ip', 'untouched', 'f2b-sshd', 'ip', 'saddr', '203.0.113.9', 'drop']);
    expect(await waitForRuleset(ns.name, restored, 8000)).not.toBeNull();
    const after = liveRuleset(ns.name);
    expect(after).toContain('table ip docker-like');
    expect(after).toContain('chain DOCKER');
    expect(after).toMatch(/chain f2b-sshd \{\s+ip saddr 203\.0\.113\.9 drop/);
    const log = cli('log', '--json');
    expect(log.json.versions[0].change).toMatchObject({ state: 'rolled-back', overwritten: [] });
  });

  it('another program changed a touched table in the window: the change is undone, their rule kept, and the record says so', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    expect(cli('apply', '--plan', plan, '--timeout', '6', '--no-wait').status).toBe(0);
    nft(ns.name, ['add', 'rule', 'inet', 'filter', 'input', 'tcp', 'dport', '9999', 'accept']);
    // The inverse rollback deletes only the change's own rule (8080): the other program's rule stays.
    expect(
      await waitForRuleset(
        ns.name,
        (t) => !t.includes('8080') && t.includes('tcp dport 22 counter') && t.includes('9999'),
        10_000,
      ),
    ).not.toBeNull();
    const log = cli('log', '--json');
    // Kept (the inverse undid only the change's own rules), and named with what changed.
    expect(log.json.versions[0].change).toMatchObject({
      state: 'rolled-back',
      rollbackMethod: 'inverse',
      overwritten: [],
      kept: ['inet filter (chain input: +1 -0 line(s))'],
    });
    expect(cli('log').stdout).toContain(
      'kept what others changed meanwhile in: inet filter (chain input: +1 -0 line(s))',
    );
  });

  it('extend pushes the deadline; the change survives the old one and rolls back at the new one', async () => {
    loadRuleset(ns.name, BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    // Windows of a few seconds: long enough for a loaded 2-core CI machine to start the CLI twice.
    const a = cli('apply', '--plan', plan, '--timeout', '6', '--no-wait', '--json');
    expect(a.status, a.stderr).toBe(0);
    const oldDeadline = Date.parse(a.json.deadline);
    const e = cli('extend', '12', '--json');
    expect(e.status, e.stderr).toBe(0);
    await expectContract('extend', e.json);
    // The new deadline, as recorded, is well past the old one.
    const newDeadline = Date.parse(e.json.deadline);
    expect(newDeadline - oldDeadline).toBeGreaterThan(4000);
    // Past the OLD deadline (and the watchdog's reaction time): still the change.
    await new Promise((res) => setTimeout(res, Math.max(0, oldDeadline + 1500 - Date.now())));
    expect(changed(liveRuleset(ns.name))).toBe(true);
    // Restored at the NEW one, not before it.
    const at = await waitForRuleset(ns.name, restored, newDeadline - Date.now() + 8000);
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(newDeadline - 200);
    // The watchdog records the outcome after the restore: wait for it (and for it to leave the state dir).
    expect(await waitFor(() => pendingWatchdog(state.path) === null && !alive(a.json.watchdogPid), 10_000)).toBe(true);
    expect(versionRecord(state.path, a.json.versionId).change).toMatchObject({
      state: 'rolled-back',
      rollbackReason: 'timeout',
    });
  });

  it('rollback VERSION brings back a stored version under a new confirmation window', async () => {
    loadRuleset(ns.name, BASE);
    expect(cli('snapshot', '-m', 'good').status).toBe(0);
    nft(ns.name, ['add', 'rule', 'inet', 'filter', 'input', 'tcp', 'dport', '7777', 'drop']);
    const r = cli('rollback', '1', '--no-wait', '--timeout', '20', '--json');
    expect(r.status, r.stderr).toBe(0);
    await expectContract('rollback', r.json);
    expect(liveRuleset(ns.name)).not.toContain('7777');
    expect(cli('status', '--json').json.pending.touchedTables).toEqual(['inet filter']);
    expect(cli('rollback').status).toBe(0);
    expect(liveRuleset(ns.name)).toContain('7777');
  });

  it('a continuous ping between two namespaces loses no packet across apply and rollback', async () => {
    const peer = createNetns('peer');
    try {
      const veth = `fwv${process.pid % 100000}`;
      inNetns(ns.name, 'ip', ['link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
      inNetns(ns.name, 'ip', ['link', 'set', `${veth}b`, 'netns', peer]);
      inNetns(ns.name, 'ip', ['addr', 'add', '198.51.100.1/24', 'dev', `${veth}a`]);
      inNetns(ns.name, 'ip', ['link', 'set', `${veth}a`, 'up']);
      inNetns(peer, 'ip', ['addr', 'add', '198.51.100.2/24', 'dev', `${veth}b`]);
      inNetns(peer, 'ip', ['link', 'set', `${veth}b`, 'up']);
      const allow = `table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    iif lo accept
    icmp type echo-request counter accept
  }
}
`;
      loadRuleset(ns.name, allow);
      const plan = await writePlan(
        state.path,
        ns.name,
        `table inet filter
delete table inet filter
${allow.replace('counter accept', 'counter accept\n    tcp dport 8080 accept')}`,
        FILTER_TABLE,
      );
      // 600 pings 10 ms apart (about 6-8 s), bounded by -w; apply and rollback both happen while it runs.
      const ping = spawn(
        'ip',
        ['netns', 'exec', peer, 'ping', '-n', '-q', '-c', '600', '-i', '0.01', '-w', '20', '198.51.100.1'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      ping.stdout.on('data', (d) => (out += d));
      const pingDone = new Promise<void>((res) => ping.on('exit', () => res()));
      await new Promise((res) => setTimeout(res, 300));
      expect(cli('apply', '--plan', plan, '--force', '--timeout', '2', '--no-wait').status).toBe(0);
      expect(changed(liveRuleset(ns.name))).toBe(true);
      expect(await waitForRuleset(ns.name, (t) => !t.includes('8080'), 4000)).not.toBeNull();
      expect(ping.exitCode, 'the rollback must happen while the ping runs').toBeNull();
      await pingDone;
      console.log('ping across apply + rollback:', /\d+ packets transmitted.*/.exec(out)?.[0]);
      expect(out).toMatch(/600 packets transmitted, 600 received, 0% packet loss/);
      expect(cli('log', '--json').json.versions[0].change.state).toBe('rolled-back');
    } finally {
      deleteNetns(peer);
    }
  });
});
