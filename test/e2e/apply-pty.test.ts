import { describe, expect, it } from 'vitest';
import { isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { writePlan } from './plan-fixture.js';
import { FILTER_TABLE, OPEN_8080, SSH_BASE, changed, useChangeWindow } from '../helpers/window-fixture.js';
import { spawnCli, type PtySession } from './pty.js';
import { versionRecord } from './state-probe.js';

async function codeOf(s: PtySession): Promise<string> {
  const seen = await s.waitForOutput(/Type the code\s+([a-z0-9]+)\s/);
  // A person needs well over the type-ahead window to read a code and type it.
  await new Promise((r) => setTimeout(r, 400));
  return /Type the code\s+([a-z0-9]+)\s/.exec(seen)![1]!;
}

describe.skipIf(!isRoot)('fwsafe apply at a terminal (node-pty)', () => {
  const { ns, state } = useChangeWindow('pty');
  const start = async (timeout = 30, extra: string[] = ['--yes']): Promise<PtySession> => {
    loadRuleset(ns.name, SSH_BASE);
    const plan = await writePlan(state.path, ns.name, OPEN_8080, FILTER_TABLE);
    return spawnCli([
      '--netns',
      ns.name,
      '--state-dir',
      state.path,
      'apply',
      '--plan',
      plan,
      '--timeout',
      String(timeout),
      ...extra,
    ]);
  };

  it('asks before applying; the right code confirms and keeps the change (exit 0)', async () => {
    const s = await start(30, []);
    await s.waitForOutput('Apply this change');
    expect(changed(liveRuleset(ns.name))).toBe(false);
    s.send('y\r');
    const code = await codeOf(s);
    expect(changed(liveRuleset(ns.name))).toBe(true);
    s.send(`${code}\r`);
    await s.waitForOutput('confirmed and kept');
    // The code works, and says what it did not prove.
    expect(s.output()).toContain('that does not prove a NEW connection gets in');
    expect((await s.waitForExit()).exitCode).toBe(0);
    expect(changed(liveRuleset(ns.name))).toBe(true);
    expect(versionRecord(state.path, 2).change).toMatchObject({
      state: 'confirmed',
      confirmedVia: { method: 'terminal-code', newConnectionProven: false },
    });
  });

  it('a blocking finding is shown and refused before any question (exit 5)', async () => {
    loadRuleset(ns.name, SSH_BASE);
    const lockout = OPEN_8080.replace('tcp dport 22 counter accept', 'tcp dport 2222 counter accept').replace(
      'policy accept',
      'policy drop',
    );
    const plan = await writePlan(state.path, ns.name, lockout, [{ family: 'inet', name: 'filter' }]);
    const s = spawnCli(['--netns', ns.name, '--state-dir', state.path, 'apply', '--plan', plan, '--timeout', '30']);
    const { exitCode } = await s.waitForExit();
    expect(exitCode).toBe(5);
    expect(s.output()).toMatch(/ERROR SSH_NEW_LOGIN_BLOCKED/);
    expect(s.output()).not.toContain('Apply this change');
    expect(changed(liveRuleset(ns.name))).toBe(false);
  });

  it('Ctrl-C at the "apply?" question applies nothing (exit 130)', async () => {
    const s = await start(30, []);
    await s.waitForOutput('Apply this change');
    s.send('\x03');
    expect((await s.waitForExit()).exitCode).toBe(130);
    expect(changed(liveRuleset(ns.name))).toBe(false);
  });

  it('a wrong code is refused and asks again; then the right one confirms', async () => {
    const s = await start();
    const code = await codeOf(s);
    const mark = s.output().length;
    s.send('zzzzz\r');
    await s.waitForOutput('Wrong code "zzzzz"', 5000, mark);
    expect(changed(liveRuleset(ns.name))).toBe(true);
    s.send(`${code}\r`);
    expect((await s.waitForExit()).exitCode).toBe(0);
  });

  it('input typed ahead before the prompt is discarded, never taken as an answer', async () => {
    const s = await start();
    for (let i = 0; i < 5; i += 1) s.send('yes\r');
    const code = await codeOf(s);
    await new Promise((r) => setTimeout(r, 800));
    const out = s.output();
    expect(out).not.toContain('Wrong code');
    expect(out).not.toContain('confirmed');
    s.send(`${code}\r`);
    expect((await s.waitForExit()).exitCode).toBe(0);
  });

  it('Ctrl-C rolls back now (exit 3, reason interrupt), never keeps', async () => {
    const s = await start();
    await codeOf(s);
    expect(changed(liveRuleset(ns.name))).toBe(true);
    s.send('\x03');
    await s.waitForOutput('rolled back (interrupt)');
    expect((await s.waitForExit()).exitCode).toBe(3);
    expect(changed(liveRuleset(ns.name))).toBe(false);
    expect(versionRecord(state.path, 2).change).toMatchObject({ state: 'rolled-back', rollbackReason: 'interrupt' });
  });

  it('shows a countdown and live counters; at the deadline it rolls back (exit 3)', async () => {
    const s = await start(4);
    await s.waitForOutput(/rolls back in [34] s/);
    await s.waitForOutput(/rolls back in [12] s/, 4000);
    expect(s.output()).toMatch(/pkts\s+inet filter\/input\s+tcp dport 8080 counter accept/);
    await s.waitForOutput('rolled back (timeout)', 6000);
    expect((await s.waitForExit()).exitCode).toBe(3);
    expect(changed(liveRuleset(ns.name))).toBe(false);
  });
});
