// Two guards hold every deadline and re-arm each other; the waiting CLI is the third. These tests kill
// them (SIGKILL, as the OOM killer or an admin's kill -9 would) at points in the window and look at the
// kernel's ruleset, never at what fwsafe says it did.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, fwsafeAsync } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { limiter } from '../helpers/limiter.js';
import { createNetns, deleteNetns, isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { guardsOf, removeStateDir } from '../helpers/state-dir.js';
import { writePlan } from '../e2e/plan-fixture.js';
import { FILTER_TABLE, OPEN_8080, SSH_BASE, changed, restored, useChangeWindow } from '../helpers/window-fixture.js';
import { spawnCli, type PtySession } from '../e2e/pty.js';
import { alive, guardPids, journal, killWatchdog, waitFor, waitForRuleset } from '../e2e/state-probe.js';

// Long enough that the 20 % point (3 s) comes after the CLI returned on a loaded 2-core machine (an 8 s
// window was too short once at load average ~20: apply returned after its 20 % point).
const WINDOW_S = 15;
// The rollback-lateness goal (docs/performance.md: ≤ 250 ms after the deadline at 500 rules; this table is
// smaller), asserted for the guards. Measured under load up to 19: 13–186 ms over 53 guard kills.
const LATENESS_GOAL_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kill = (pid: number | null, signal: NodeJS.Signals): void => {
  if (pid && alive(pid)) process.kill(pid, signal);
};

interface Window {
  ns: string;
  state: string;
  /** The CLI bound to this window's namespace and state dir; async, so the other test's timers keep time. */
  cli: (...args: string[]) => Promise<CliResult>;
  /** Terminals this test opened (killed at its end). */
  sessions: PtySession[];
}

/** An interactive apply at a real terminal (the CLI waits, as the third guard), with a window of `seconds`. */
const applyAtTerminal = async (w: Window, seconds: number): Promise<PtySession> => {
  loadRuleset(w.ns, SSH_BASE);
  const plan = await writePlan(w.state, w.ns, OPEN_8080, FILTER_TABLE);
  const s = spawnCli([
    '--netns',
    w.ns,
    '--state-dir',
    w.state,
    'apply',
    '--plan',
    plan,
    '--timeout',
    String(seconds),
    '--yes',
  ]);
  w.sessions.push(s);
  return s;
};

const applyNoWait = async (w: Window): Promise<{ changeId: string; deadlineAt: number }> => {
  loadRuleset(w.ns, SSH_BASE);
  const plan = await writePlan(w.state, w.ns, OPEN_8080, FILTER_TABLE);
  const r = await w.cli('apply', '--plan', plan, '--timeout', String(WINDOW_S), '--no-wait', '--json');
  expect(r.status, r.stderr).toBe(0);
  // No CLI call here (it costs up to a second on a loaded machine): the guard files and /proc say it.
  const g = guardPids(w.state);
  expect(g[1] !== null && alive(g[1]) && g[2] !== null && alive(g[2]), 'both guards armed').toBe(true);
  expect(changed(liveRuleset(w.ns))).toBe(true);
  // The deadline as the pending record set it (wall clock at the same moment as the monotonic one).
  return { changeId: r.json.changeId, deadlineAt: Date.parse(r.json.deadline) };
};

describe.skipIf(!isRoot)('guards that cover each other (real nft, SIGKILL)', () => {
  // The tests that wait through a whole window (most of their time asleep) run two at a time, each in its
  // own namespace and state directory, removed even on failure. Two, not more: a second apply starting
  // must not push the first one's CLI past its 20 % kill point on a loaded 2-core machine.
  const two = limiter(2);
  const inWindow = (test: (w: Window) => Promise<void>) => () =>
    two(async () => {
      const ns = createNetns('guard');
      const state = mkdtempSync(join(tmpdir(), 'fwsafe-state-'));
      const w: Window = {
        ns,
        state,
        cli: (...args) => fwsafeAsync(['--netns', ns, '--state-dir', state, ...args]),
        sessions: [],
      };
      try {
        await test(w);
      } finally {
        // A stopped guard cannot die of SIGKILL until continued; then every guard of this state dir goes.
        for (const pid of Object.values(guardPids(state))) kill(pid, 'SIGCONT');
        for (const session of w.sessions) session.kill('SIGKILL');
        killWatchdog(state);
        await waitFor(() => guardsOf(state).every((pid) => !alive(pid)), 3000);
        removeStateDir(state);
        deleteNetns(ns);
      }
    });
  for (const slot of [1, 2] as const) {
    for (const fraction of [0.2, 0.5, 0.9]) {
      it.concurrent(
        `--no-wait, guard ${slot} SIGKILLed at ${fraction * 100} % of the window: rolled back at the deadline, no recover`,
        { timeout: 300_000 },
        inWindow(async (w) => {
          const { ns, state } = w;
          const { changeId, deadlineAt } = await applyNoWait(w);
          const killAt = deadlineAt - (1 - fraction) * WINDOW_S * 1000;
          expect(killAt, 'the apply took longer than the kill point').toBeGreaterThan(Date.now());
          await sleep(killAt - Date.now());
          const victim = guardPids(state)[slot];
          kill(victim, 'SIGKILL');
          const killedAt = Date.now();
          const left = deadlineAt - killedAt;
          if (left > 2500) {
            // The survivor re-arms the slot within a second (a new pid), well before the deadline.
            const rearmed = await waitFor(() => {
              const pid = guardPids(state)[slot];
              return pid !== null && pid !== victim && alive(pid);
            }, 2000);
            expect(rearmed, 'the surviving guard re-armed the killed one').toBe(true);
            console.log(
              `guard ${slot} killed at ${fraction * 100} %: a replacement was alive ${Date.now() - killedAt} ms later`,
            );
            expect(
              await waitFor(() => journal(state).some((e) => e.event === 'guard-rearmed' && e.slot === slot), 1000),
            ).toBe(true);
          }
          expect(changed(liveRuleset(ns)), 'still live before the deadline').toBe(true);
          const at = await waitForRuleset(ns, restored, deadlineAt - Date.now() + 4000, 10);
          expect(at, 'rolled back').not.toBeNull();
          const rolledBack = (): any =>
            journal(state).find((e) => e.event === 'change-rolled-back' && e.changeId === changeId);
          expect(await waitFor(() => rolledBack() !== undefined, 3000)).toBe(true);
          const done = rolledBack();
          console.log(
            `guard ${slot} killed at ${fraction * 100} %: restored ${at! - deadlineAt} ms after the deadline; journal afterDeadlineMs ${done?.afterDeadlineMs}, rollback ${done?.durationMs} ms`,
          );
          expect(done).toMatchObject({ reason: 'timeout' });
          expect(done.afterDeadlineMs).toBeGreaterThanOrEqual(0);
          expect(done.afterDeadlineMs, 'lateness within the goal').toBeLessThanOrEqual(LATENESS_GOAL_MS);
          expect(journal(state).some((e) => String(e.event).includes('recover') || e.reason === 'recover')).toBe(false);
          expect((await w.cli('log', '--json')).json.versions[0].change).toMatchObject({
            state: 'rolled-back',
            rollbackReason: 'timeout',
          });
        }),
      );
    }
  }

  it.concurrent(
    'a command that finds a guard gone says so and re-arms it',
    { timeout: 300_000 },
    inWindow(async (w) => {
      await applyNoWait(w);
      const before = guardPids(w.state);
      // Guard 1 frozen (alive, but it cannot re-arm anything), guard 2 killed: only the command can notice.
      kill(before[1], 'SIGSTOP');
      kill(before[2], 'SIGKILL');
      const s = await w.cli('status', '--json');
      await expectContract('status', s.json);
      expect(s.stderr).toMatch(/guard 2 of change .* was gone; re-armed it \(pid \d+\)/);
      const g2 = s.json.pending.guards.find((g: { slot: number }) => g.slot === 2);
      expect(g2.alive).toBe(true);
      expect(g2.pid).not.toBe(before[2]);
      kill(before[1], 'SIGCONT');
      expect(await waitForRuleset(w.ns, restored, WINDOW_S * 1000 + 4000)).not.toBeNull();
    }),
  );

  it.concurrent(
    'interactive apply, every guard SIGKILLed: the waiting CLI rolls back at the deadline itself',
    { timeout: 300_000 },
    inWindow(async (w) => {
      const { ns, state } = w;
      const s = await applyAtTerminal(w, WINDOW_S);
      await s.waitForOutput('Type the code', 20_000);
      const pending = JSON.parse(readFileSync(join(state, 'pending.json'), 'utf8'));
      const g = guardPids(state);
      // Frozen first, so neither can re-arm the other between the two kills.
      kill(g[1], 'SIGSTOP');
      kill(g[2], 'SIGSTOP');
      kill(g[1], 'SIGKILL');
      kill(g[2], 'SIGKILL');
      await s.waitForOutput('holds the deadline itself', 5000);
      // (No fwsafe command here: any command would re-arm the guards, as the next test shows.)
      expect(changed(liveRuleset(ns))).toBe(true);
      expect(await waitForRuleset(ns, restored, WINDOW_S * 1000 + 4000, 10)).not.toBeNull();
      expect((await s.waitForExit(5000)).exitCode).toBe(3);
      expect(await waitFor(() => journal(state).some((e) => e.event === 'change-rolled-back'), 3000)).toBe(true);
      const done = journal(state).find((e) => e.event === 'change-rolled-back');
      console.log(`CLI as the last guard: journal afterDeadlineMs ${done?.afterDeadlineMs}`);
      expect(done).toMatchObject({ reason: 'timeout', changeId: pending.changeId });
      // At the deadline, not within the guards' goal: the CLI's own timer in a busy node process (348 ms once
      // with two windows and the firewalld tests beside it; 19–111 ms otherwise).
      expect(done.afterDeadlineMs).toBeLessThanOrEqual(1000);
      // No guard did it: the watchdog log has no rollback line.
      expect(readFileSync(join(state, 'watchdog.log'), 'utf8')).not.toMatch(/rolled-back/);
    }),
  );

  // Windows of 60 s that end early (a SIGINT, a recover): one at a time, with the shared fixture.
  describe('windows that end early', () => {
    const { ns, state, cli } = useChangeWindow('guard');
    // Runs before the fixture's clean-up: a stopped guard cannot die of SIGKILL until continued.
    afterEach(() => {
      for (const pid of Object.values(guardPids(state.path))) kill(pid, 'SIGCONT');
    });
    const window = (): Window => ({
      ns: ns.name,
      state: state.path,
      cli: async (...args) => cli(...args),
      sessions: [],
    });

    it('interactive apply, every guard SIGKILLed, then any command: it re-arms both guards (the CLI still holds the change)', async () => {
      const s = await applyAtTerminal(window(), 60);
      await s.waitForOutput('Type the code', 20_000);
      const g = guardPids(state.path);
      for (const signal of ['SIGSTOP', 'SIGKILL'] as const) for (const pid of [g[1], g[2]]) kill(pid, signal);
      await s.waitForOutput('holds the deadline itself', 5000);
      const status = cli('status', '--json');
      expect(status.stderr).toMatch(/guard 1 .* re-armed it[\s\S]*guard 2 .* re-armed it/);
      expect(status.json.pending).toMatchObject({ watchdogAlive: true, stale: null, waitingCliPid: s.pid });
      expect(status.json.pending.guards.map((x: { pid: number }) => x.pid)).not.toContain(g[1]);
      s.kill('SIGINT');
      expect(await waitForRuleset(ns.name, restored, 5000)).not.toBeNull();
    });

    it('every guard and the CLI SIGKILLed together: status and log say UNGUARDED, other commands warn, recover restores', async () => {
      const s = await applyAtTerminal(window(), 60);
      await s.waitForOutput('Type the code', 20_000);
      const g = guardPids(state.path);
      kill(g[1], 'SIGSTOP');
      kill(g[2], 'SIGSTOP');
      s.kill('SIGKILL');
      kill(g[1], 'SIGKILL');
      kill(g[2], 'SIGKILL');
      await s.waitForExit(5000);
      expect(changed(liveRuleset(ns.name))).toBe(true);
      const status = cli('status', '--json');
      expect(status.json.pending).toMatchObject({ watchdogAlive: false, waitingCliPid: null, stale: 'watchdog-gone' });
      expect(cli('status').stdout).toMatch(/UNGUARDED \(watchdog-gone\).*fwsafe recover/);
      const log = cli('log', '--json');
      await expectContract('log', log.json);
      expect(log.json.unguarded).toMatchObject({ reason: 'watchdog-gone' });
      const logText = cli('log');
      expect(logText.stdout).toMatch(/apply +pending UNGUARDED/);
      expect(logText.stderr).toMatch(/UNGUARDED \(watchdog-gone\)/);
      // Nothing re-arms a change nobody guards: it stays for recover (as at boot).
      expect(Object.values(guardPids(state.path)).some((pid) => alive(pid))).toBe(false);
      const rec = cli('recover', '--json');
      expect(rec.status, rec.stderr).toBe(0);
      expect(rec.json).toMatchObject({
        found: 'stale',
        stale: 'watchdog-gone',
        result: { status: 'rolled-back', reason: 'recover' },
      });
      expect(restored(liveRuleset(ns.name))).toBe(true);
    });
  });
});
