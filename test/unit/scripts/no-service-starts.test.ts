// Issue 21, finding 12: demo.sh and system-deps.sh put a policy-rc.d in place while apt-get runs; the one they
// put there must go on any exit — success, failure, Ctrl-C (INT to the process group) or TERM.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const HELPER = join(ROOT, 'scripts', 'no-service-starts.sh');
const dir = mkdtempSync(join(tmpdir(), 'fwsafe-policy-rc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** bash sourcing the helper and running `without_service_starts POLICY CMD…`; then `after` (if it returns). */
const script = (cmd: string, after = 'echo "returned $?"'): string =>
  `. "$1"; without_service_starts "$2" ${cmd}; ${after}`;

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
};

describe('scripts/no-service-starts.sh (the policy-rc.d of demo.sh and system-deps.sh)', () => {
  it('in place while the command runs (it says no: exit 101), removed after success and after failure', () => {
    const policy = join(dir, 'ok-policy-rc.d');
    // The command run is the policy itself: it exists, is executable and says no (101, "action forbidden").
    const inside = spawnSync('bash', ['-c', script('"$2"'), '_', HELPER, policy], { encoding: 'utf8' });
    expect(inside.stdout).toBe('returned 101\n');
    expect(existsSync(policy)).toBe(false);
    const ok = spawnSync('bash', ['-c', script('true'), '_', HELPER, policy], { encoding: 'utf8' });
    expect(ok.stdout).toBe('returned 0\n');
    expect(existsSync(policy)).toBe(false);
    const failed = spawnSync('bash', ['-c', script('false'), '_', HELPER, policy], { encoding: 'utf8' });
    expect(failed.stdout).toBe('returned 1\n');
    expect(existsSync(policy)).toBe(false);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`interrupted (${signal} to the process group, as Ctrl-C or a kill of the job) while the command runs: removed`, async () => {
      const policy = join(dir, `${signal}-policy-rc.d`);
      const child = spawn('bash', ['-c', script('sleep 30'), '_', HELPER, policy], {
        detached: true,
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      try {
        expect(await waitFor(() => existsSync(policy), 10_000), 'the policy appeared').toBe(true);
        process.kill(-child.pid!, signal);
        expect(await exited).toBe(code);
        expect(existsSync(policy)).toBe(false);
      } finally {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }

  it('a policy-rc.d that was there before is left as it was', () => {
    const policy = join(dir, 'theirs-policy-rc.d');
    writeFileSync(policy, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const r = spawnSync('bash', ['-c', script('true'), '_', HELPER, policy], { encoding: 'utf8' });
    expect(r.stdout).toBe('returned 0\n');
    expect(existsSync(policy)).toBe(true);
  });

  it('demo.sh and system-deps.sh install packages through it, never writing policy-rc.d themselves', () => {
    for (const name of ['demo.sh', 'system-deps.sh']) {
      const text = spawnSync('cat', [join(ROOT, 'scripts', name)], { encoding: 'utf8' }).stdout;
      expect(text, name).toMatch(/without_service_starts \/usr\/sbin\/policy-rc\.d install_packages/);
      expect(text, name).not.toMatch(/> *\/usr\/sbin\/policy-rc\.d/);
    }
  });
});
