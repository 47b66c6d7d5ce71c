import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCounters, selectWatched } from '../../../src/apply/live-counters.js';
import { replaceTableScript } from '../../../src/apply/table-script.js';
import { newChangeId, newCode } from '../../../src/apply/ids.js';
import { acquireLock } from '../../../src/apply/lock.js';
import { acquireClaim, takeOverStuckClaim } from '../../../src/apply/claim.js';
import { staleReason } from '../../../src/apply/status.js';
import { statePaths, type StatePaths } from '../../../src/state/paths.js';
import { PENDING_SCHEMA, PendingRecord, type PendingRecordT } from '../../../src/pending/schema.js';
import { readPending, releaseLock, removePending, writePending } from '../../../src/pending/store.js';
import { bootId, monoNowNs, processStartTime } from '../../../src/pending/clock.js';
import type { FwsafeError } from '../../../src/errors.js';

const LISTING = `table inet filter { # handle 3
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		tcp dport 22 counter packets 12 bytes 720 accept # handle 4
		tcp dport 80 accept # handle 5
		ip saddr 192.0.2.1 counter packets 3 bytes 180 drop # handle 6
	}
}
`;

// A pid that is surely not running: beyond pid_max on this kind of host.
const DEAD_PID = 4_194_304 + 17;

function pending(overrides: Partial<PendingRecordT> = {}): PendingRecordT {
  return PendingRecord.parse({
    schema: PENDING_SCHEMA,
    changeId: newChangeId(),
    versionId: 2,
    baseVersion: 1,
    netns: null,
    createdAt: new Date().toISOString(),
    actor: { user: 'root', host: 'h', from: null },
    message: '',
    format: 'nft',
    touchedTables: [{ family: 'inet', name: 'filter', iptablesNft: false }],
    rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    expectedText: '',
    proposalText: '',
    timeoutSec: 60,
    deadline: new Date().toISOString(),
    deadlineMonoNs: String(monoNowNs() + 60_000_000_000n),
    bootId: bootId(),
    watchdogPid: process.pid,
    code: newCode(),
    persistPath: null,
    rollbackRequest: null,
    ...overrides,
  });
}

describe('live counters', () => {
  it('parses counted rules with their table and chain, normalised', () => {
    const c = parseCounters(LISTING);
    expect(c).toEqual([
      { table: 'inet filter', chain: 'input', text: 'tcp dport 22 counter accept', packets: 12, bytes: 720 },
      { table: 'inet filter', chain: 'input', text: 'ip saddr 192.0.2.1 counter drop', packets: 3, bytes: 180 },
    ]);
  });
  it('watches the changed rules when known, every counted rule otherwise', () => {
    const c = parseCounters(LISTING);
    expect(selectWatched(c, ['ip saddr 192.0.2.1 counter packets 0 bytes 0 drop']).map((x) => x.packets)).toEqual([3]);
    expect(selectWatched(c, [])).toHaveLength(2);
  });
});

describe('table replacement script', () => {
  it('creates, deletes, then loads the block without handles or counter values', () => {
    const s = replaceTableScript('inet', 'filter', LISTING);
    expect(s.startsWith('table inet filter\ndelete table inet filter\ntable inet filter {')).toBe(true);
    expect(s).not.toMatch(/# handle|packets \d/);
    expect(replaceTableScript('ip', 'x', null)).toBe('table ip x\ndelete table ip x\n');
  });
});

describe('ids', () => {
  it('change ids and codes fit the pending schema; codes avoid ambiguous characters', () => {
    expect(newChangeId()).toMatch(/^c-\d{14}-[0-9a-f]{6}$/);
    for (let i = 0; i < 50; i += 1) expect(newCode()).toMatch(/^[a-hjkmnp-z2-9]{5}$/);
  });
});

describe('lock, claim, pending record', () => {
  let dir = '';
  let paths: StatePaths;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-unit-'));
    paths = statePaths(dir);
    mkdirSync(join(dir, 'netns-locks'));
  });
  // The host-wide namespace locks of these tests live in the test's own directory, not /run/fwsafe.
  const lock = (p: StatePaths, id: string): void =>
    acquireLock(p, id, null, { netnsLockDir: join(dir, 'netns-locks') });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a second lock while a change is pending is refused with exit 6 naming it', () => {
    lock(paths, 'c-first-000000');
    const p = pending();
    writePending(paths, p);
    try {
      lock(paths, 'c-second-00000');
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as FwsafeError).exitCode).toBe(6);
      expect((error as FwsafeError).message).toContain(p.changeId);
    }
  });

  it('a lock left by a dead process without a pending change is taken over', () => {
    writeFileSync(
      paths.lock,
      JSON.stringify({ pid: DEAD_PID, startTime: '1', changeId: 'c-dead-000000', at: '', netnsLock: null }),
    );
    expect(() => lock(paths, 'c-new-0000000')).not.toThrow();
  });

  it('a lock naming a live pid with another start time (a recycled pid) is taken over', () => {
    writeFileSync(
      paths.lock,
      JSON.stringify({
        pid: 1,
        startTime: `1${processStartTime(1)}`,
        changeId: 'c-old-0000000',
        at: '',
        netnsLock: null,
      }),
    );
    expect(() => lock(paths, 'c-new-0000000')).not.toThrow();
  });

  it('one change per namespace whatever the state dir: a second state dir is refused until the first releases', () => {
    const other = statePaths(join(dir, 'other'));
    lock(paths, 'c-first-000000');
    writePending(paths, pending({ changeId: 'c-first-000000' }));
    try {
      lock(other, 'c-second-00000');
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as FwsafeError).exitCode).toBe(6);
      expect((error as FwsafeError).message).toContain(paths.root);
    }
    expect(existsSync(other.lock)).toBe(false);
    // Still held after its process is gone while the change is pending (apply --no-wait exits).
    const [file] = readdirSync(join(dir, 'netns-locks'));
    const held = JSON.parse(readFileSync(join(dir, 'netns-locks', file!), 'utf8'));
    writeFileSync(join(dir, 'netns-locks', file!), JSON.stringify({ ...held, pid: DEAD_PID }));
    expect(() => lock(other, 'c-second-00000')).toThrow(/in progress on this network namespace/);
    removePending(paths);
    releaseLock(paths);
    expect(() => lock(other, 'c-second-00000')).not.toThrow();
    expect(readdirSync(join(dir, 'netns-locks'))).toHaveLength(1);
    releaseLock(other);
    expect(readdirSync(join(dir, 'netns-locks'))).toHaveLength(0);
  });

  it('a live claim holder blocks others; a dead one is taken over', () => {
    const claim = (pid: number, startTime: string, atMonoNs = String(monoNowNs())): void =>
      writeFileSync(
        join(dir, 'resolving'),
        JSON.stringify({ pid, startTime, changeId: 'x', action: 'confirm', atMonoNs }),
      );
    claim(DEAD_PID, '1');
    expect(acquireClaim(paths, 'x', 'rollback')).toBe(true);
    claim(1, processStartTime(1)!);
    expect(acquireClaim(paths, 'x', 'rollback')).toBe(false);
    // The same pid, started at another time: a recycled (or deliberately cycled-to) pid holds nothing.
    claim(1, `1${processStartTime(1)}`);
    expect(acquireClaim(paths, 'x', 'rollback')).toBe(true);
  });

  it('a claim held past its bound is taken over: its process killed (checked by start time), the claim freed', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const startTime = processStartTime(child.pid!)!;
      const write = (atMonoNs: bigint): void =>
        writeFileSync(
          join(dir, 'resolving'),
          JSON.stringify({ pid: child.pid, startTime, changeId: 'x', action: 'confirm', atMonoNs: String(atMonoNs) }),
        );
      write(monoNowNs());
      expect(takeOverStuckClaim(paths, 15_000_000_000n)).toBeNull();
      expect(acquireClaim(paths, 'x', 'rollback')).toBe(false);
      write(monoNowNs() - 20_000_000_000n);
      const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
      expect(takeOverStuckClaim(paths, 15_000_000_000n)).toMatch(/took over the claim of process/);
      expect(await exited).toBe('SIGKILL');
      expect(acquireClaim(paths, 'x', 'rollback')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the pending record round-trips 0600 and rejects a bad one', async () => {
    const p = pending();
    writePending(paths, p);
    expect(readPending(paths)).toEqual(p);
    const { statSync } = await import('node:fs');
    expect(statSync(paths.pending).mode & 0o777).toBe(0o600);
    writeFileSync(paths.pending, '{"schema":1}');
    expect(() => readPending(paths)).toThrow(/pending\.json does not match its schema/);
  });

  it('stale: another boot, a deadline long past, a dead watchdog; fresh and guarded is not stale', () => {
    // This test process stands in for a live watchdog (its cmdline names no watchdog, so use the lock rule).
    expect(staleReason(pending({ bootId: 'another-boot' }), paths)).toBe('rebooted');
    expect(staleReason(pending({ deadlineMonoNs: String(monoNowNs() - 10_000_000_000n) }), paths)).toBe(
      'deadline-passed',
    );
    expect(staleReason(pending({ watchdogPid: DEAD_PID }), paths)).toBe('watchdog-gone');
    lock(paths, 'c-arming-00000');
    expect(staleReason(pending({ watchdogPid: null }), paths)).toBeNull();
  });
});
