// Every row of the "Predictable conditions" table in docs/exit-codes.md, replayed through the built CLI:
// the exit code and the error code the table promises, and never "This is a bug in fwsafe".
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fwsafe, type CliResult } from '../helpers/cli.js';
import { createNetns, deleteNetns, isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { writePlan } from '../e2e/plan-fixture.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';

interface Row {
  id: string;
  code: number;
  errorCode: string;
}

/** The table as documented: | id | condition | example | code | error code |. */
function documentedRows(): Row[] {
  const text = readFileSync(join(ROOT, 'docs', 'exit-codes.md'), 'utf8');
  const section = text.slice(text.indexOf('## Predictable conditions'));
  return section
    .split('\n')
    .filter((l) => /^\| [a-z][a-z0-9-]+ \|/.test(l) && !l.startsWith('| id |'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .map((c) => ({ id: c[1]!, code: Number(c[4]), errorCode: c[5]! }));
}

const BASE =
  'table inet filter {\n chain input { type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n';
const CHANGE =
  'table inet filter\ndelete table inet filter\ntable inet filter {\n chain input { type filter hook input priority 0; policy accept;\n  tcp dport 2222 accept\n }\n}\n';
const TOUCHED = [{ family: 'inet', name: 'filter' }];

function parse(r: ReturnType<typeof spawnSync>): CliResult {
  const stdout = String(r.stdout ?? '');
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, stdout, stderr: String(r.stderr ?? ''), json };
}

/** The CLI as the unprivileged user nobody (65534). */
function asNobody(args: string[]): CliResult {
  return parse(
    spawnSync(process.execPath, [BIN, ...args, '--json'], {
      encoding: 'utf8',
      uid: 65534,
      gid: 65534,
      env: { ...process.env, HOME: '/tmp', NO_COLOR: '1' },
      timeout: 60_000,
    }),
  );
}

/** The CLI in a private mount namespace with a small tmpfs at `dir` (full, or read-only). */
function onTmpfs(dir: string, how: 'full' | 'ro', args: string[]): CliResult {
  const script =
    how === 'full'
      ? 'd=$1; shift; mount -t tmpfs -o size=64k,mode=0700 tmpfs "$d" || exit 99; head -c 1000000 /dev/zero > "$d/fill" 2>/dev/null; exec "$@"'
      : 'd=$1; shift; mount -t tmpfs -o ro,size=64k,mode=0700 tmpfs "$d" || exit 99; exec "$@"';
  return parse(
    spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, process.execPath, BIN, ...args, '--json'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
    ),
  );
}

describe.skipIf(!isRoot)('docs/exit-codes.md: each predictable condition has its code and its sentence', () => {
  let nsA = '';
  let nsB = '';
  let work = '';
  let pendingState = '';
  let pendingPlan = '';

  beforeAll(async () => {
    nsA = createNetns('exa');
    nsB = createNetns('exb');
    for (const ns of [nsA, nsB]) loadRuleset(ns, BASE);
    work = mkdtempSync(join(tmpdir(), 'fwsafe-exit-'));
    pendingState = join(work, 'pending-state');
    pendingPlan = await writePlan(work, nsA, CHANGE, TOUCHED);
  }, 60_000);
  afterAll(() => {
    if (pendingState) killWatchdog(pendingState);
    for (const ns of [nsA, nsB]) if (ns) deleteNetns(ns);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const fresh = (name: string): string => join(work, name);
  const replays: Record<string, () => Promise<CliResult> | CliResult> = {
    'not-root-status': () => {
      const applied = fwsafe([
        '--netns',
        nsA,
        '--state-dir',
        pendingState,
        'apply',
        '--plan',
        pendingPlan,
        '--timeout',
        '120',
        '--no-wait',
      ]);
      expect(applied.status, applied.stderr).toBe(0);
      const r = asNobody(['status', '--state-dir', pendingState]);
      expect(r.stdout).not.toContain('No change is pending');
      return r;
    },
    'not-root-log': () => asNobody(['log', '--state-dir', pendingState]),
    'not-root-confirm': () => asNobody(['confirm', '--state-dir', pendingState]),
    'not-root-recover': () => asNobody(['recover', '--state-dir', pendingState]),
    'not-root-snapshot': () => asNobody(['snapshot', '--netns', nsA, '--state-dir', pendingState]),
    'not-root-apply': () => {
      // A proposal the user can read (the work directory is root's only): refused for want of root, not of the file.
      const file = join(tmpdir(), `fwsafe-exit-nobody-${process.pid}.nft`);
      writeFileSync(file, 'add rule inet filter input tcp dport 99 accept\n', { mode: 0o644 });
      try {
        return asNobody(['apply', file, '--netns', nsA, '--state-dir', pendingState, '--no-wait', '--yes']);
      } finally {
        rmSync(file, { force: true });
      }
    },
    'state-not-dir': () => {
      const file = fresh('a-file');
      writeFileSync(file, 'not a directory\n');
      return fwsafe(['snapshot', '--netns', nsA, '--state-dir', file, '--json']);
    },
    'state-full': () => {
      const dir = fresh('full');
      mkdirSync(dir, { mode: 0o700 });
      return onTmpfs(dir, 'full', ['snapshot', '--netns', nsA, '--state-dir', join(dir, 's')]);
    },
    'state-read-only': () => {
      const dir = fresh('ro');
      mkdirSync(dir, { mode: 0o700 });
      return onTmpfs(dir, 'ro', ['snapshot', '--netns', nsA, '--state-dir', join(dir, 's')]);
    },
    'state-other-owner': () => {
      const dir = fresh('nobodys');
      expect(fwsafe(['snapshot', '--netns', nsA, '--state-dir', dir]).status).toBe(0);
      chownSync(dir, 65534, 65534);
      const r = fwsafe(['log', '--state-dir', dir, '--json']);
      // Refused, never repaired behind the admin's back.
      expect(fwsafe(['status', '--state-dir', dir, '--json']).status).toBe(13);
      expect(fwsafe(['snapshot', '--netns', nsA, '--state-dir', dir, '--json']).status).toBe(13);
      return r;
    },
    'state-other-writable': () => {
      const dir = fresh('open');
      expect(fwsafe(['snapshot', '--netns', nsA, '--state-dir', dir]).status).toBe(0);
      chmodSync(dir, 0o777);
      return fwsafe(['snapshot', '--netns', nsA, '--state-dir', dir, '--json']);
    },
    'bad-arg-extend': () => fwsafe(['extend', 'abc', '--json']),
    'bad-flag-timeout': () => fwsafe(['apply', 'x.nft', '--timeout', 'abc', '--json']),
    'bad-flag': () => fwsafe(['log', '--bogus', '--json']),
    'unknown-command': () => fwsafe(['frobnicate', '--json']),
    'version-elsewhere': () => {
      const dir = fresh('elsewhere');
      const snap = fwsafe(['snapshot', '--netns', nsA, '--state-dir', dir, '--json']);
      expect(snap.status).toBe(0);
      return fwsafe([
        'rollback',
        String(snap.json.version.id),
        '--netns',
        nsB,
        '--state-dir',
        dir,
        '--no-wait',
        '--json',
      ]);
    },
    'plan-tampered': async () => {
      const plan = await writePlan(work, nsB, CHANGE, TOUCHED);
      const edited = JSON.parse(readFileSync(plan, 'utf8'));
      edited.proposal.text = edited.proposal.text.replace('2222', '23');
      writeFileSync(plan, JSON.stringify(edited));
      const before = liveRuleset(nsB);
      const r = fwsafe([
        '--netns',
        nsB,
        '--state-dir',
        fresh('tampered'),
        'apply',
        '--plan',
        plan,
        '--no-wait',
        '--json',
      ]);
      expect(liveRuleset(nsB)).toBe(before);
      return r;
    },
    'bad-admin-address': () => {
      const proposal = fresh('admin.nft');
      writeFileSync(proposal, CHANGE);
      return fwsafe(['--netns', nsA, 'plan', proposal, '--admin-address', 'not-an-ip', '--json']);
    },
    'late-confirm': async () => {
      const dir = fresh('late');
      const plan = await writePlan(work, nsB, CHANGE, TOUCHED);
      expect(
        fwsafe(['--netns', nsB, '--state-dir', dir, 'apply', '--plan', plan, '--timeout', '2', '--no-wait']).status,
      ).toBe(0);
      expect(await waitFor(() => !existsSync(join(dir, 'pending.json')), 15_000)).toBe(true);
      return fwsafe(['--state-dir', dir, 'confirm', '--json']);
    },
    'persist-failed': async () => {
      const dir = fresh('persist');
      const blocker = fresh('blocker');
      writeFileSync(blocker, 'a file where a directory should be\n');
      loadRuleset(nsB, BASE);
      const plan = await writePlan(work, nsB, CHANGE, TOUCHED);
      expect(
        fwsafe([
          '--netns',
          nsB,
          '--state-dir',
          dir,
          'apply',
          '--plan',
          plan,
          '--timeout',
          '30',
          '--no-wait',
          `--persist=${join(blocker, 'x.conf')}`,
        ]).status,
      ).toBe(0);
      return fwsafe(['--state-dir', dir, 'confirm', '--json']);
    },
    'confirm-session-predates': async () => {
      const dir = fresh('predates');
      loadRuleset(nsB, BASE);
      const plan = await writePlan(work, nsB, CHANGE, TOUCHED);
      expect(
        fwsafe(['--netns', nsB, '--state-dir', dir, 'apply', '--plan', plan, '--timeout', '30', '--no-wait']).status,
      ).toBe(0);
      // A pseudo-terminal (script(1)) not traced to SSH: it may be an old session, so it proves nothing.
      const command = `${process.execPath} ${BIN} --state-dir ${dir} confirm --json 2>/dev/null`;
      const r = parse(spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 }));
      // Refused, so still pending: rolled back here (the namespace's lock is free again for the next row).
      const back = fwsafe(['--state-dir', dir, 'rollback', '--json']);
      expect(back.status, back.stdout + back.stderr).toBe(0);
      return r;
    },
  };

  it('the table lists the conditions of issue 11, and every row has a replay (no replay without a row)', () => {
    const ids = documentedRows().map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(15);
    expect([...ids].sort()).toEqual(Object.keys(replays).sort());
  });

  for (const row of documentedRows()) {
    it(`${row.id}: exit ${row.code}, ${row.errorCode}`, async () => {
      const r = await replays[row.id]!();
      expect(r.status, r.stdout + r.stderr).toBe(row.code);
      expect(r.json?.error?.code, r.stdout).toBe(row.errorCode);
      expect(r.json.error.exitCode).toBe(row.code);
      expect(r.stdout + r.stderr).not.toMatch(/This is a bug|Unexpected error/);
    }, 60_000);
  }
});
