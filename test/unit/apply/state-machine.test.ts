// The change state machine without root: a temporary state dir and a fake runner standing in for nft
// (it holds one table's listing, the "kernel", and records every transaction it is given). One test per
// transition and per failure path of issue 11.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../e2e/state-probe.js';

const kernel = vi.hoisted(() => ({
  table: '' as string | null,
  transactions: [] as string[],
  failNextTransaction: false,
}));

vi.mock('../../../src/run/runner.js', () => ({
  run: async (program: string, args: readonly string[], options: { input?: string } = {}) => {
    const done = (exitCode: number, stdout = '', stderr = '') => ({
      command: program,
      args,
      exitCode,
      signal: null,
      stdout,
      stderr,
      durationMs: 1,
      timedOut: false,
    });
    if (program === 'nft' && args.join(' ') === '-a list table inet filter') {
      return kernel.table === null ? done(1, '', 'Error: No such file or directory') : done(0, kernel.table);
    }
    if (program === 'nft' && args.join(' ') === '-f -') {
      if (kernel.failNextTransaction) {
        kernel.failNextTransaction = false;
        return done(1, '', 'Error: Could not process rule');
      }
      kernel.transactions.push(options.input ?? '');
      // The fake kernel applies a rollback script: the table becomes what the script loads.
      const block = /table inet filter \{[\s\S]*$/.exec(options.input ?? '');
      if (block) kernel.table = block[0];
      return done(0);
    }
    if (program === 'nft' && args.join(' ') === '-a list ruleset') return done(0, kernel.table ?? '');
    if (program === 'nft' && args.join(' ') === '-j list ruleset')
      return done(0, '{"nftables":[{"metainfo":{"json_schema_version":1}}]}');
    return done(127, '', `fake runner: unexpected ${program} ${args.join(' ')}`);
  },
}));

const { HistoryStore } = await import('../../../src/history/store.js');
const { PENDING_SCHEMA } = await import('../../../src/pending/schema.js');
const { readPending, writePending, claimPath, readClaim, tryLock } = await import('../../../src/pending/store.js');
const { bootId, monoNowNs, processStartTime } = await import('../../../src/pending/clock.js');
const { confirmPending } = await import('../../../src/apply/confirm.js');
const { extendPending } = await import('../../../src/apply/extend.js');
const { rollbackPending } = await import('../../../src/apply/resolve.js');
const { recover } = await import('../../../src/apply/recover.js');
const { abandonPending } = await import('../../../src/apply/abandon.js');
const { recordOutcome } = await import('../../../src/apply/outcome.js');
const { acquireClaim } = await import('../../../src/apply/claim.js');
const { earlyClaim } = await import('../../../src/apply/early-claim.js');
const { runWatchdog } = await import('../../../src/watchdog/loop.js');
const { waitAtTerminal } = await import('../../../src/apply/terminal-wait.js');
const { fingerprintOf } = await import('../../../src/apply/observe.js');
type PendingRecordT = import('../../../src/pending/schema.js').PendingRecordT;
type SnapshotT = import('../../../src/snapshot/schema.js').SnapshotT;

const DEAD_PID = 4_194_304 + 17;
/** A claim record as src/pending/schema.ts has it (pid + start time). */
const claimOf = (pid: number, changeId: string, action: string): string =>
  JSON.stringify({ pid, startTime: processStartTime(pid) ?? '1', changeId, action, atMonoNs: String(monoNowNs()) });
const BEFORE =
  'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 counter packets 4 bytes 240 accept\n\t}\n}\n';
const AFTER =
  'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 2222 accept\n\t}\n}\n';
const SOMEONE = AFTER.replace('tcp dport 2222 accept', 'tcp dport 2222 accept\n\t\ttcp dport 9999 accept');
const TABLES = [{ family: 'inet', name: 'filter', iptablesNft: false }];
const ACTOR = { user: 'root', host: 'h', from: null };

function snapshot(text: string): SnapshotT {
  const summary = { nftTables: 1, nftRules: 1, iptablesNft: false, iptablesLegacy: false, firewalld: false };
  return {
    schema: 1,
    takenAt: new Date().toISOString(),
    netns: null,
    hash: 'a'.repeat(64),
    nft: { text, json: null },
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary,
  };
}

let dir = '';
let store: InstanceType<typeof HistoryStore>;

/** A change applied and pending, as apply-change.ts leaves it: base version, apply version, pending record. */
function applied(overrides: Partial<PendingRecordT> = {}, withVersion = true): PendingRecordT {
  const base = store.add(
    {
      kind: 'snapshot',
      createdAt: '',
      actor: ACTOR,
      message: '',
      netns: null,
      hash: 'a'.repeat(64),
      summary: snapshot(BEFORE).summary,
      change: null,
    },
    snapshot(BEFORE),
  );
  const record: PendingRecordT = {
    schema: PENDING_SCHEMA,
    changeId: `c-20260101000000-${Math.random().toString(16).slice(2, 8)}`,
    versionId: null,
    baseVersion: base.id,
    netns: null,
    createdAt: new Date().toISOString(),
    actor: ACTOR,
    message: '',
    touchedTables: TABLES,
    rollback: {
      nftScript: `table inet filter\ndelete table inet filter\n${BEFORE}`,
      iptablesNft: { v4: null, v6: null },
    },
    expectedText: AFTER,
    before: fingerprintOf(snapshot(BEFORE), TABLES),
    after: fingerprintOf(snapshot(AFTER), TABLES),
    proposalText: AFTER,
    timeoutSec: 60,
    deadline: new Date(Date.now() + 60_000).toISOString(),
    deadlineMonoNs: String(monoNowNs() + 60_000_000_000n),
    bootId: bootId(),
    watchdogPid: process.pid,
    code: 'abcde',
    persistPath: null,
    rollbackRequest: null,
    ...overrides,
  };
  if (withVersion && record.versionId === null) {
    const v = store.add(
      {
        kind: 'apply',
        createdAt: '',
        actor: ACTOR,
        message: '',
        netns: null,
        hash: 'b'.repeat(64),
        summary: snapshot(AFTER).summary,
        change: null,
      },
      snapshot(AFTER),
    );
    record.versionId = v.id;
    store.update(v.id, (r) => ({
      ...r,
      change: {
        state: 'pending',
        changeId: record.changeId,
        baseVersion: base.id,
        touchedTables: ['inet filter'],
        deadline: record.deadline,
        confirmedAt: null,
        confirmedBy: null,
        rolledBackAt: null,
        rollbackReason: null,
        overwritten: [],
        persistedTo: null,
        error: null,
      },
    }));
  }
  writePending(store.paths, record);
  kernel.table = AFTER;
  return record;
}

const change = (p: PendingRecordT) => store.get(p.versionId!).change!;
const claimed = (): boolean => existsSync(claimPath(store.paths));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsafe-sm-'));
  store = new HistoryStore(dir);
  store.init();
  kernel.table = BEFORE;
  kernel.transactions = [];
  kernel.failNextTransaction = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('confirm', () => {
  it('pending → confirmed: record, journal, pending gone, claim released', async () => {
    const p = applied();
    const r = await confirmPending({ stateDir: dir, actor: ACTOR });
    expect(r).toMatchObject({ changeId: p.changeId, versionId: p.versionId, persistedTo: null });
    expect(change(p)).toMatchObject({ state: 'confirmed', confirmedBy: ACTOR });
    expect(readPending(store.paths)).toBeNull();
    expect(claimed()).toBe(false);
    expect(store.readJournal().events.map((e) => e.event)).toContain('change-confirmed');
    expect(kernel.transactions).toEqual([]);
  });

  it('the record cannot be written mid-confirm (disk full, EIO): NOT confirmed, says so, claim released, still pending', async () => {
    const p = applied();
    const file = join(dir, 'versions', `${String(p.versionId).padStart(6, '0')}.json`);
    const saved = readFileSync(file);
    rmSync(file);
    mkdirSync(file); // the write fails, as on a full disk
    const error = await confirmPending({ stateDir: dir, actor: ACTOR }).catch((e: Error & { exitCode: number }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      new RegExp(`^Change ${p.changeId} is NOT confirmed: .* Its watchdog still rolls it back at`),
    );
    expect((error as { exitCode: number }).exitCode).toBe(13);
    expect(claimed()).toBe(false);
    expect(readPending(store.paths)?.changeId).toBe(p.changeId);
    rmSync(file, { recursive: true });
    writeFileSync(file, saved);
    // Fixed: the next confirm goes through (the claim was not left behind).
    await expect(confirmPending({ stateDir: dir, actor: ACTOR })).resolves.toMatchObject({ changeId: p.changeId });
  });

  it('--persist target unwritable: confirmed and kept, PERSIST_FAILED, claim released, retry with the change id', async () => {
    const blocker = join(dir, 'etc');
    writeFileSync(blocker, 'x');
    const p = applied({ persistPath: join(blocker, 'nftables.conf') });
    const error = (await confirmPending({ stateDir: dir, actor: ACTOR }).catch((e) => e)) as {
      code: string;
      message: string;
      actions: string[];
    };
    expect(error.code).toBe('PERSIST_FAILED');
    expect(error.message).toContain(`Change ${p.changeId} is confirmed and kept`);
    expect(error.actions.join(' ')).toContain(`fwsafe confirm ${p.changeId}`);
    expect(change(p)).toMatchObject({ state: 'confirmed' });
    expect(change(p).persistError).toContain('nftables.conf');
    expect(readPending(store.paths)).toBeNull();
    expect(claimed()).toBe(false);
    rmSync(blocker);
    mkdirSync(blocker);
    await expect(confirmPending({ stateDir: dir, changeId: p.changeId })).resolves.toMatchObject({
      persistedTo: join(blocker, 'nftables.conf'),
    });
    expect(change(p).persistError).toBeNull();
  });

  it('past the deadline: rolled back, "too late: rolled back at T (timeout)", exit 3; a second confirm says the same', async () => {
    const p = applied({ deadlineMonoNs: String(monoNowNs() - 1n) });
    const error = (await confirmPending({ stateDir: dir }).catch((e) => e)) as { exitCode: number; message: string };
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(
      /^Too late: change c-\S+ was rolled back at \S+ \(timeout\); the previous rules are live\.$/,
    );
    expect(change(p)).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout' });
    expect(kernel.table).toContain('dport 22 ');
    const again = (await confirmPending({ stateDir: dir }).catch((e) => e)) as { exitCode: number; message: string };
    expect([again.exitCode, again.message]).toEqual([3, error.message]);
    expect(claimed()).toBe(false);
  });

  it('an early claim taken before the deadline wins the race even when the rest loads after it', async () => {
    // 1 s of margin: a loaded machine must not make the claim itself late.
    const deadline = monoNowNs() + 1_000_000_000n;
    const p = applied({ deadlineMonoNs: String(deadline) });
    const at = earlyClaim(dir, undefined);
    expect(at).not.toBeNull();
    expect(readClaim(store.paths)).toMatchObject({ pid: process.pid, changeId: p.changeId });
    // the deadline passes while "loading"
    while (monoNowNs() <= deadline) await new Promise((r) => setTimeout(r, 50));
    await expect(confirmPending({ stateDir: dir, claimedAtNs: at })).resolves.toMatchObject({ changeId: p.changeId });
    expect(change(p).state).toBe('confirmed');
    expect(claimed()).toBe(false);
  });
});

describe('extend', () => {
  it('moves the deadline and releases the claim; past the deadline it refuses with exit 3', () => {
    const p = applied();
    const r = extendPending({ stateDir: dir, seconds: 300 });
    expect(r.secondsLeft).toBe(300);
    const left = Number(BigInt(readPending(store.paths)!.deadlineMonoNs) - monoNowNs()) / 1e9;
    expect(left).toBeGreaterThan(290);
    expect(claimed()).toBe(false);
    writePending(store.paths, { ...readPending(store.paths)!, deadlineMonoNs: String(monoNowNs() - 1n) });
    expect(() => extendPending({ stateDir: dir, seconds: 10 })).toThrow(expect.objectContaining({ exitCode: 3 }));
    expect(claimed()).toBe(false);
    expect(p.changeId).toMatch(/^c-/);
  });
});

describe('rollback and its outcome, observed against the (fake) kernel', () => {
  it('pending → rolled back: the script runs once, the record says so, nothing "overwritten"', async () => {
    const p = applied();
    const r = await rollbackPending({ stateDir: dir, reason: 'manual' });
    expect(r).toMatchObject({ status: 'rolled-back', restored: true, overwritten: [], error: null });
    expect(kernel.transactions).toHaveLength(1);
    expect(change(p)).toMatchObject({ state: 'rolled-back', rollbackReason: 'manual', overwritten: [] });
    expect(claimed()).toBe(false);
  });

  it('someone else changed a touched table: overwritten names the table and the chain', async () => {
    const p = applied();
    kernel.table = SOMEONE;
    const r = await rollbackPending({ stateDir: dir, reason: 'timeout' });
    expect(r).toMatchObject({ status: 'rolled-back', overwritten: ['inet filter (chain input: +1 -0 line(s))'] });
    expect(change(p).overwritten).toEqual(['inet filter (chain input: +1 -0 line(s))']);
  });

  it('the previous rules are live already (restored from memory earlier): nothing rewritten, said so', async () => {
    const p = applied();
    kernel.table = BEFORE.replace('packets 4 bytes 240', 'packets 9 bytes 540');
    const r = await rollbackPending({ stateDir: dir, reason: 'recover' });
    expect(r).toMatchObject({ status: 'rolled-back', restored: false, overwritten: [] });
    expect(kernel.transactions).toEqual([]);
    expect(change(p).note).toContain('already live');
  });

  it('the rollback transaction fails: recorded as failed with the reason, claim released', async () => {
    const p = applied();
    kernel.failNextTransaction = true;
    const r = await rollbackPending({ stateDir: dir, reason: 'manual' });
    expect(r.status).toBe('rollback-failed');
    expect(change(p)).toMatchObject({ state: 'failed' });
    expect(change(p).error).toContain('nft -f rejected the rollback script');
    expect(claimed()).toBe(false);
  });

  it('a change whose record already says confirmed is never rolled back (a confirm that could not clear pending.json)', async () => {
    const p = applied();
    store.update(p.versionId!, (r) => ({ ...r, change: { ...r.change!, state: 'confirmed' } }));
    expect(await rollbackPending({ stateDir: dir, reason: 'timeout' })).toEqual({ status: 'none' });
    expect(kernel.transactions).toEqual([]);
    expect(readPending(store.paths)).toBeNull();
  });

  it('outcome of a change that never got its own version: one is added from the base snapshot', () => {
    const p = applied({}, false);
    const v = recordOutcome(store, p, { state: 'failed', error: 'x' });
    expect(v.kind).toBe('apply');
    expect(v.change).toMatchObject({ state: 'failed', changeId: p.changeId, error: 'x' });
  });

  it('a failed apply (kernel rejection) is verified, never restored: failed, note says checked', async () => {
    const p = applied({}, false);
    kernel.table = BEFORE;
    const r = await abandonPending(store, p.changeId, 'nft rejected the proposal');
    expect(r).toMatchObject({ differing: [] });
    expect(kernel.transactions).toEqual([]);
    const v = store.get(store.ids().at(-1)!);
    expect(v.change).toMatchObject({
      state: 'failed',
      rollbackReason: 'apply-failed',
      error: 'nft rejected the proposal',
    });
    expect(v.change!.note).toMatch(/^Checked against the kernel/);
    expect(readPending(store.paths)).toBeNull();
    expect(claimed()).toBe(false);
  });
});

describe('recover, locks and claims of dead processes', () => {
  it('watchdog gone: recover rolls back with reason recover', async () => {
    const p = applied({ watchdogPid: DEAD_PID });
    const r = await recover({ stateDir: dir });
    expect(r).toMatchObject({ found: 'stale', stale: 'watchdog-gone' });
    expect(change(p)).toMatchObject({ state: 'rolled-back', rollbackReason: 'recover' });
  });

  it('a lock and a claim left by dead processes are cleaned by recover', async () => {
    expect(
      tryLock(store.paths, { pid: DEAD_PID, startTime: '1', changeId: 'c-dead-000000', at: '', netnsLock: null }),
    ).toBe(true);
    writeFileSync(claimPath(store.paths), claimOf(DEAD_PID, 'x', 'confirm'));
    const r = await recover({ stateDir: dir });
    expect(r.cleaned).toEqual(['lock left by a dead process', 'claim left by a dead process']);
    expect(existsSync(store.paths.lock)).toBe(false);
    expect(claimed()).toBe(false);
  });

  it("double take-over of a dead resolver's claim: the second taker never removes the first one's new claim", async () => {
    writeFileSync(claimPath(store.paths), claimOf(DEAD_PID, 'c', 'confirm'));
    // A (another live process) takes it over first…
    const other = spawn('sleep', ['30']);
    try {
      const { takeOverDead } = await import('../../../src/apply/claim.js');
      const dead = { pid: DEAD_PID, startTime: '1' };
      takeOverDead(store.paths, dead);
      writeFileSync(claimPath(store.paths), claimOf(other.pid!, 'c', 'rollback'), { flag: 'wx' });
      // …B saw the dead holder before that and now "takes over" too: A's claim must survive.
      takeOverDead(store.paths, dead);
      expect(readClaim(store.paths)).toMatchObject({ pid: other.pid });
      expect(acquireClaim(store.paths, 'c', 'confirm')).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('the watchdog loop', () => {
  let holder: ChildProcess | null = null;
  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = null;
  });

  it('rolls back at the deadline, after a busy claim is released (never spins on a claim nobody releases)', async () => {
    const p = applied({ deadlineMonoNs: String(monoNowNs() + 300_000_000n) });
    holder = spawn('sleep', ['30']);
    writeFileSync(claimPath(store.paths), claimOf(holder.pid!, p.changeId, 'confirm'));
    const done = runWatchdog(dir, p.changeId);
    await new Promise((r) => setTimeout(r, 600));
    expect(change(p).state).toBe('pending'); // busy: waits for the holder
    rmSync(claimPath(store.paths));
    expect(await done).toBe(0);
    expect(change(p)).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout' });
    expect(existsSync(join(dir, `watchdog-${p.changeId}.ready`))).toBe(false);
  });

  it('stands down when the change is resolved by someone else', async () => {
    const p = applied();
    const done = runWatchdog(dir, p.changeId);
    await new Promise((r) => setTimeout(r, 200));
    await confirmPending({ stateDir: dir });
    expect(await done).toBe(0);
    expect(kernel.transactions).toEqual([]);
  });
});

describe('the terminal wait', () => {
  function io(): { input: PassThrough & { isTTY?: boolean }; output: PassThrough } {
    return { input: new PassThrough(), output: new PassThrough() };
  }

  it('the code typed: confirmed, reported from the record', async () => {
    const p = applied();
    const t = io();
    const waiting = waitAtTerminal({ stateDir: dir, pending: p, changedRuleTexts: [], io: t as never });
    await new Promise((r) => setTimeout(r, 400));
    t.input.write(`${p.code}\r`);
    await expect(waiting).resolves.toMatchObject({ state: 'confirmed' });
  });

  it("a confirm that fails is shown and the wait goes on; the outcome is the record's, never a guess", async () => {
    // A deadline far enough away that the confirm attempt fails well before it, however loaded the machine.
    const p = applied({ deadlineMonoNs: String(monoNowNs() + 60_000_000_000n) });
    const file = join(dir, 'versions', `${String(p.versionId).padStart(6, '0')}.json`);
    const saved = readFileSync(file);
    rmSync(file);
    mkdirSync(file);
    const t = io();
    let shown = '';
    t.output.on('data', (d: Buffer) => (shown += d.toString()));
    const waiting = waitAtTerminal({ stateDir: dir, pending: p, changedRuleTexts: [], io: t as never });
    await new Promise((r) => setTimeout(r, 400));
    t.input.write(`${p.code}\r`);
    // The failed confirm is an event to wait for, not a fixed delay: under load it can take longer than 300 ms.
    expect(await waitFor(() => shown.includes('Confirm failed'), 20_000)).toBe(true);
    rmSync(file, { recursive: true });
    writeFileSync(file, saved);
    // The deadline rolls it back (here: the rollback a watchdog would do at it), and the wait reports that.
    await rollbackPending({ stateDir: dir, reason: 'timeout' });
    await expect(waiting).resolves.toMatchObject({ state: 'rolled-back', reason: 'timeout' });
  });
});
