import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeConfirmation } from '../../../src/apply/confirm-proof.js';
import { onTime } from '../../../src/apply/execute-rollback.js';
import { staleReason } from '../../../src/apply/status.js';
import { PENDING_SCHEMA, PendingRecord, type PendingRecordT } from '../../../src/pending/schema.js';
import { bootId, monoNowNs } from '../../../src/pending/clock.js';
import { decodeAddress, sshdConnectionProcess, ttyName } from '../../../src/session/connection.js';
import type { ConnectionT } from '../../../src/session/schema.js';
import { statePaths, type StatePaths } from '../../../src/state/paths.js';
import { guardStates, readGuardRecord, removeGuardFiles, writeGuardRecord } from '../../../src/watchdog/guard-files.js';
import { processAlive, procStat } from '../../../src/watchdog/proc-stat.js';
import type { FwsafeError } from '../../../src/errors.js';

const ssh = (sshdPid: number, startTicks: number): ConnectionT => ({
  kind: 'ssh',
  sshdPid,
  startTicks,
  startedAt: null,
  client: '198.51.100.1 40000',
  tty: 'pts/0',
});
const other = (kind: 'console' | 'pty' | 'none'): ConnectionT => ({
  kind,
  sshdPid: null,
  startTicks: null,
  startedAt: null,
  client: null,
  tty: kind === 'none' ? null : kind === 'pty' ? 'pts/4' : 'tty1',
});

function pending(overrides: Partial<PendingRecordT> = {}): PendingRecordT {
  return PendingRecord.parse({
    schema: PENDING_SCHEMA,
    changeId: 'c-20260101000000-abcdef',
    versionId: 2,
    baseVersion: 1,
    netns: null,
    createdAt: new Date().toISOString(),
    actor: { user: 'root', host: 'h', from: null },
    message: '',
    touchedTables: [],
    rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    expectedText: '',
    proposalText: '',
    timeoutSec: 60,
    deadline: new Date().toISOString(),
    deadlineMonoNs: String(monoNowNs() + 60_000_000_000n),
    bootId: bootId(),
    watchdogPid: 1,
    code: 'abcd12',
    persistPath: null,
    rollbackRequest: null,
    appliedFrom: ssh(500, 1000),
    appliedAtTicks: 2000,
    ...overrides,
  });
}

const refusal = (f: () => unknown): FwsafeError => {
  try {
    f();
  } catch (error) {
    return error as FwsafeError;
  }
  throw new Error('not refused');
};

describe('confirm proves a new connection', () => {
  const p = pending();
  const judge = (confirming: ConnectionT, fromThisSession = false, terminalCode = false) =>
    judgeConfirmation(p, { confirming, fromThisSession, terminalCode });

  it('accepts an SSH connection opened after the change, and says it was proven', () => {
    expect(judge(ssh(900, 2001))).toMatchObject({
      method: 'new-connection',
      newConnectionProven: true,
      appliedFrom: { sshdPid: 500 },
    });
  });
  it('refuses the applying connection and an older one with exit 17 and the sentence', () => {
    for (const c of [ssh(500, 1000), ssh(700, 1500), ssh(701, 2000)]) {
      const e = refusal(() => judge(c));
      expect(e.exitCode).toBe(17);
      expect(e.code).toBe('SESSION_PREDATES_CHANGE');
      expect(e.message).toMatch(/^This session predates the change: open a new SSH connection and confirm there/);
    }
    expect(refusal(() => judge(ssh(500, 1000))).message).toMatch(/the SSH connection that applied it/);
  });
  it('--from-this-session keeps it, recorded as unproven', () => {
    expect(judge(ssh(500, 1000), true)).toMatchObject({ method: 'from-this-session', newConnectionProven: false });
    expect(judge(other('pty'), true)).toMatchObject({ method: 'from-this-session', newConnectionProven: false });
  });
  it('a console and a process without terminal are accepted as what they are; a pty not traced to SSH is refused', () => {
    expect(judge(other('console'))).toMatchObject({ method: 'console', newConnectionProven: false });
    expect(judge(other('none'))).toMatchObject({ method: 'no-terminal', newConnectionProven: false });
    expect(refusal(() => judge(other('pty'))).message).toMatch(/tmux, screen, mosh/);
  });
  it('the one-time code at the applying terminal works, never as proof', () => {
    expect(judge(ssh(500, 1000), false, true)).toMatchObject({ method: 'terminal-code', newConnectionProven: false });
  });
  it('a record that never learned when it went live proves nothing', () => {
    const old = pending({ appliedAtTicks: null });
    expect(() =>
      judgeConfirmation(old, { confirming: ssh(900, 5000), fromThisSession: false, terminalCode: false }),
    ).toThrow(/predates/);
  });
});

describe('what the kernel says about sessions', () => {
  it('decodes /proc/net/tcp addresses, v4 and v6', () => {
    expect(decodeAddress('0164A8C6:9C40')).toBe('198.168.100.1 40000');
    expect(decodeAddress('B80D0120000000000000000002000000:0016')).toBe('2001:db8::2 22');
    expect(decodeAddress('0000000000000000FFFF00000164A8C6:0016')).toBe('198.168.100.1 22');
  });
  it('names terminals from tty_nr', () => {
    expect(ttyName(0)).toBeNull();
    expect(ttyName((136 << 8) | 3)).toBe('pts/3');
    expect(ttyName((4 << 8) | 1)).toBe('tty1');
    expect(ttyName((4 << 8) | 64)).toBe('ttyS0');
  });
  it('picks the per-connection sshd, not the listener', () => {
    const s = (pid: number, comm: string) => ({ pid, comm, state: 'S', ppid: 0, ttyNr: 0, startTicks: pid });
    // Pids that do not exist: their command line reads as '' (a listener started as "sshd -D").
    const chain = [
      s(4_194_400, 'bash'),
      s(4_194_401, 'sshd'),
      s(4_194_402, 'sshd'),
      s(4_194_403, 'sshd'),
      s(4_194_404, 'nsenter'),
    ];
    expect(sshdConnectionProcess(chain)?.pid).toBe(4_194_402);
    expect(sshdConnectionProcess([s(4_194_400, 'bash'), s(4_194_404, 'tmux: server')])).toBeNull();
  });
  it('tells this process from a reused pid by its start time', () => {
    const me = procStat('self')!;
    expect(me.pid).toBe(process.pid);
    expect(processAlive(process.pid, me.startTicks)).toBe(true);
    expect(processAlive(process.pid, me.startTicks + 1)).toBe(false);
  });
});

describe('guard files', () => {
  let dir: string;
  let paths: StatePaths;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-guards-'));
    paths = statePaths(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a slot names its guard by pid and start time; a change with a live guard is not stale, without one it is', () => {
    const p = pending({ deadlineMonoNs: String(monoNowNs() + 60_000_000_000n) });
    expect(guardStates(paths, p.changeId).map((g) => g.alive)).toEqual([false, false]);
    expect(staleReason(p, paths)).toBe('watchdog-gone');
    writeGuardRecord(paths, p.changeId, 2);
    expect(readGuardRecord(paths, p.changeId, 2)?.pid).toBe(process.pid);
    expect(guardStates(paths, p.changeId)).toEqual([
      { slot: 1, pid: null, alive: false },
      { slot: 2, pid: process.pid, alive: true },
    ]);
    expect(staleReason(p, paths)).toBeNull();
    removeGuardFiles(paths, p.changeId);
    expect(readGuardRecord(paths, p.changeId, 2)).toBeNull();
  });
});

describe('at the deadline the restore waits for no listing', () => {
  it('uses a finished comparison, else restores without one', async () => {
    expect(await onTime(Promise.resolve(['inet filter']))).toEqual(['inet filter']);
    expect(await onTime(Promise.resolve([]))).toEqual([]);
    expect(await onTime(Promise.resolve(null))).toBe('not-compared');
    expect(await onTime(undefined)).toBe('not-compared');
    // Still running at the decision: settled only afterwards (a 50 ms timer here raced the decision, and won
    // when a loaded machine stalled this process for 50 ms before the check phase).
    let finish: (listing: string[]) => void = () => undefined;
    const running = new Promise<string[]>((r) => {
      finish = r;
    });
    expect(await onTime(running)).toBe('not-compared');
    finish(['late']);
  });
});
