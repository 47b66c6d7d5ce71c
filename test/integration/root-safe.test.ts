// Issue 21: nothing that a plan file, an unprivileged user or the environment controls is executed or
// trusted as root. Each test reproduces one finding with the real CLI, real nft and a real uid 65534.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, ROOT, useStateDir } from '../helpers/cli.js';
import { isRoot, liveRuleset, loadRuleset, useNetns } from '../helpers/netns.js';
import { alive, killWatchdog, waitFor, waitForRuleset } from '../e2e/state-probe.js';

const NOBODY = 65534;
const ESC = '\u001b';
const BASE = `table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
table ip untouched {
  chain c { type filter hook output priority 0; policy accept; }
}
`;
const change = (comment = 'web'): string => `table inet filter
delete table inet filter
table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
    tcp dport 8080 counter accept comment "${comment}"
  }
}
`;
const changed = (t: string): boolean => t.includes('dport 8080');
const restored = (t: string): boolean =>
  t.includes('tcp dport 22 counter') && !t.includes('8080') && t.includes('table ip untouched');

/** Field 22 of /proc/PID/stat, as fwsafe reads it. */
const startTime = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};

const temps: string[] = [];
const children: ChildProcess[] = [];
const tempDir = (tag: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `fwsafe-rs-${tag}-`));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('root-safe: claims and locks (real nft, real watchdog)', () => {
  const ns = useNetns('rs');
  const state = useStateDir();
  const stateB = useStateDir();
  const cli = (dir: string, ...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', dir, ...args]);
  afterEach(() => {
    killWatchdog(state.path);
    killWatchdog(stateB.path);
  });
  const applyNoWait = (dir: string, timeout: number) => {
    const file = join(tempDir('p'), 'change.nft');
    writeFileSync(file, change());
    return cli(dir, 'apply', file, '--timeout', String(timeout), '--no-wait', '--no-probes', '--json');
  };
  const sleeper = (): ChildProcess => {
    const c = spawn('sleep', ['120'], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  const writeClaim = (changeId: string, pid: number, start: string | null): void =>
    writeFileSync(
      join(state.path, 'resolving'),
      JSON.stringify(
        start === null
          ? { pid, changeId, action: 'confirm' }
          : { pid, startTime: start, changeId, action: 'confirm', atMonoNs: String(process.hrtime.bigint()) },
      ),
      { mode: 0o600 },
    );

  it.each([
    ['as a failed confirm left it before (pid only)', false],
    ["with a start time that is not that process's", true],
  ])(
    'a stale claim whose pid is now another live process, %s, does not stop the rollback at the deadline',
    async (_what, withStart) => {
      loadRuleset(ns.name, BASE);
      const r = applyNoWait(state.path, 4);
      expect(r.status, r.stderr).toBe(0);
      const other = sleeper();
      await waitFor(() => alive(other.pid!), 2000);
      writeClaim(r.json.changeId, other.pid!, withStart ? String(Number(startTime(other.pid!)) + 1) : null);
      expect(await waitForRuleset(ns.name, restored, 15_000)).not.toBeNull();
      expect(cli(state.path, 'log', '--json').json.versions[0].change).toMatchObject({
        state: 'rolled-back',
        rollbackReason: 'timeout',
      });
      // Not the holder: left alone.
      expect(alive(other.pid!)).toBe(true);
    },
  );

  it('a live claim that never completes is taken over past the deadline (bound 15 s) and the change rolled back', async () => {
    loadRuleset(ns.name, BASE);
    const r = applyNoWait(state.path, 3);
    expect(r.status, r.stderr).toBe(0);
    const holder = sleeper();
    await waitFor(() => alive(holder.pid!), 2000);
    writeClaim(r.json.changeId, holder.pid!, startTime(holder.pid!));
    const applied = Date.now();
    // Still live a little after the deadline: the holder is within its bound.
    await new Promise((res) => setTimeout(res, 5000));
    expect(changed(liveRuleset(ns.name))).toBe(true);
    const at = await waitForRuleset(ns.name, restored, 30_000, 100);
    expect(at).not.toBeNull();
    expect(at! - applied).toBeGreaterThan(15_000);
    expect(await waitFor(() => !alive(holder.pid!), 3000)).toBe(true);
    expect(readFileSync(join(state.path, 'watchdog.log'), 'utf8')).toMatch(/took over the claim of process/);
  }, 60_000);

  it('two state dirs on one namespace cannot interleave: the second apply is refused (exit 6) until the first is resolved', () => {
    loadRuleset(ns.name, BASE);
    const first = applyNoWait(state.path, 60);
    expect(first.status, first.stderr).toBe(0);
    const before = liveRuleset(ns.name);
    const second = applyNoWait(stateB.path, 60);
    expect(second.status).toBe(6);
    expect(second.json.error.message).toContain(state.path);
    expect(liveRuleset(ns.name)).toBe(before);
    expect(existsSync(join(stateB.path, 'lock'))).toBe(false);
    expect(cli(state.path, 'rollback', '--json').status).toBe(0);
    expect(restored(liveRuleset(ns.name))).toBe(true);
    const third = applyNoWait(stateB.path, 60);
    expect(third.status, third.stderr).toBe(0);
    expect(cli(stateB.path, 'rollback', '--json').status).toBe(0);
  });
});

describe.skipIf(!isRoot)('root-safe: what reaches root from files and the environment', () => {
  const ns = useNetns('rt');
  const state = useStateDir();
  const cli = (args: string[], env?: Record<string, string>) =>
    fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args], { env });
  afterEach(() => killWatchdog(state.path));

  it("a hostile TMPDIR (owned by uid 65534, with a swapper) is never used: the listing stored is the kernel's", async () => {
    loadRuleset(ns.name, BASE);
    const hostile = tempDir('tmp');
    chownSync(hostile, NOBODY, NOBODY);
    const secretDir = tempDir('secret');
    writeFileSync(join(secretDir, 'secret'), 'SECRET-MARKER\n', { mode: 0o600 });
    // As uid 65534: every fwsafe-* entry that appears is moved away and replaced by a link to the secret.
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'), p = require('path'); const [dir, secret] = process.argv.slice(1); const seen = new Set();
         const end = Date.now() + 60000;
         const t = setInterval(() => { if (Date.now() > end) process.exit(0);
           for (const n of fs.readdirSync(dir)) { if (seen.has(n) || !n.startsWith('fwsafe')) continue; seen.add(n); console.log(n);
             try { fs.renameSync(p.join(dir, n), p.join(dir, n + '.moved')); fs.mkdirSync(p.join(dir, n)); fs.symlinkSync(secret, p.join(dir, n, 'stdout')); } catch {} } }, 1);`,
        hostile,
        join(secretDir, 'secret'),
      ],
      { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(swapper);
    let seen = '';
    swapper.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    for (let i = 0; i < 3; i += 1) expect(cli(['snapshot', '--json'], { TMPDIR: hostile }).status).toBe(0);
    const shown = cli(['show', 'latest', '--raw'], { TMPDIR: hostile });
    expect(shown.stdout).toContain('table inet filter');
    expect(shown.stdout).not.toContain('SECRET-MARKER');
    expect(seen).toBe('');
    expect(readdirSync(hostile)).toEqual([]);
  });

  it('an escape sequence in a rule comment is shown escaped in plan, show and diff; JSON keeps it as it is', () => {
    loadRuleset(ns.name, BASE);
    const comment = `ok${ESC}[2K${ESC}[1Agone`;
    const file = join(tempDir('p'), 'change.nft');
    writeFileSync(file, change(comment));
    const plan = cli(['plan', file, '--no-probes']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('ok\\x1b[2K\\x1b[1Agone');
    expect(plan.stdout).not.toContain(ESC);
    expect(cli(['plan', file, '--no-probes', '--json']).json.proposal.text).toContain(comment);
    expect(cli(['apply', file, '--no-wait', '--no-probes', '--json']).status).toBe(0);
    expect(cli(['confirm', '--json']).status).toBe(0);
    for (const args of [
      ['show', 'latest'],
      ['diff', '-1', 'latest'],
    ]) {
      const r = cli(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('\\x1b[2K');
      expect(r.stdout).not.toContain(ESC);
    }
    expect(cli(['show', 'latest', '--json']).json.text).toContain(comment);
  });

  it('--persist takes its value as given (a path with a space); --persist-default is the default path; no argv rewriting', () => {
    loadRuleset(ns.name, BASE);
    const dir = join(tempDir('persist'), 'with space');
    mkdirSync(dir);
    const target = join(dir, 'nftables.conf');
    const file = join(tempDir('p'), 'change.nft');
    writeFileSync(file, change());
    const r = cli(['apply', file, '--persist', target, '--no-wait', '--no-probes', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.persistPath).toBe(target);
    expect(cli(['confirm', '--json']).status).toBe(0);
    expect(readFileSync(target, 'utf8')).toContain('dport 8080');
    // `--persist X` with no proposal is a usage error, never "plan X".
    const noFile = cli(['apply', '--persist', file, '--no-wait', '--json']);
    expect(noFile.status).toBe(9);
    const both = cli(['apply', file, '--persist', target, '--persist-default', '--no-wait', '--json']);
    expect(both.status).toBe(9);
  });

  it('debug output goes to stderr only: FWSAFE_DEBUG_TRACE (a new path, or a symlink to a root file) writes nothing', () => {
    loadRuleset(ns.name, BASE);
    const dir = tempDir('trace');
    chownSync(dir, NOBODY, NOBODY);
    const fresh = join(dir, 'trace.log');
    const victim = join(tempDir('victim'), 'important');
    writeFileSync(victim, 'ORIGINAL\n', { mode: 0o600 });
    const link = join(dir, 'link');
    symlinkSync(victim, link);
    const file = join(tempDir('p'), 'change.nft');
    writeFileSync(file, change());
    for (const trace of [fresh, link]) {
      const env = { FWSAFE_DEBUG_TRACE: trace, DEBUG: 'fwsafe' };
      const applied = cli(['apply', file, '--no-wait', '--no-probes', '--json'], env);
      expect(applied.status, applied.stderr).toBe(0);
      // DEBUG=fwsafe is on (its lines are on stderr), and nothing else is written.
      expect(applied.stderr).toMatch(/\[fwsafe \+\d+ ms\]/);
      expect(cli(['rollback', '--json'], env).status).toBe(0);
    }
    expect(readdirSync(dir).sort()).toEqual(['link']);
    expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
  });
});

describe.skipIf(!isRoot)('root-safe: only root-owned code runs as root', () => {
  const state = useStateDir();

  /** A copy of the built tree (bin, dist, package.json, manifest; node_modules linked), root-owned. */
  const copyTree = (): string => {
    const copy = tempDir('tree');
    chmodSync(copy, 0o755);
    for (const name of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
      cpSync(join(ROOT, name), join(copy, name), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));
    return copy;
  };
  const status = (copy: string) => {
    const r = spawnSync(
      process.execPath,
      [join(copy, 'bin', 'run.js'), 'status', '--json', '--state-dir', state.path],
      { encoding: 'utf8' },
    );
    return { status: r.status, json: JSON.parse(r.stdout) };
  };

  it('a tree chowned to uid 65534, or group-writable, or with node_modules in a 65534-owned place, is refused (exit 14)', () => {
    const copy = copyTree();
    expect(status(copy)).toEqual({ status: 0, json: { pending: null } });
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, join(copy, 'dist')]);
    const owned = status(copy);
    expect(owned.status).toBe(14);
    expect(owned.json.error.code).toBe('UNSAFE_INSTALL');
    expect(owned.json.error.message).toContain('owned by uid 65534');
    expect(owned.json.error.actions.join('\n')).toContain('npm install -g');
    spawnSync('chown', ['-R', '0:0', join(copy, 'dist')]);
    chmodSync(join(copy, 'dist', 'src', 'cli', 'fast-path.js'), 0o664);
    const writable = status(copy);
    expect(writable.status).toBe(14);
    expect(writable.json.error.message).toMatch(/fast-path\.js: writable by group/);

    const fresh = copyTree();
    const modules = tempDir('nm');
    chownSync(modules, NOBODY, NOBODY);
    rmSync(join(fresh, 'node_modules'));
    symlinkSync(modules, join(fresh, 'node_modules'));
    const linked = status(fresh);
    expect(linked.status).toBe(14);
    expect(linked.json.error.message).toContain(`${modules}: owned by uid 65534`);
  });

  it('a plugin manifest in a HOME / data dir owned by uid 65534 runs no plugin code as root', () => {
    const home = tempDir('home');
    const marker = join(home, 'ran-as-root');
    mkdirSync(join(home, 'data'));
    mkdirSync(join(home, 'evil'));
    writeFileSync(
      join(home, 'data', 'package.json'),
      JSON.stringify({ oclif: { plugins: [{ type: 'link', name: 'evil', root: join(home, 'evil') }] } }),
    );
    writeFileSync(
      join(home, 'evil', 'package.json'),
      JSON.stringify({ name: 'evil', version: '1.0.0', type: 'module', oclif: { hooks: { init: './init.js' } } }),
    );
    writeFileSync(
      join(home, 'evil', 'init.js'),
      `import { writeFileSync } from 'node:fs';\nexport default async function () { writeFileSync(${JSON.stringify(marker)}, String(process.getuid())); }\n`,
    );
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, home]);
    const env = { HOME: home, XDG_DATA_HOME: home, FWSAFE_DATA_DIR: join(home, 'data') };
    const r = fwsafe(['log', '--state-dir', state.path, '--json'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
