import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { isRoot } from '../helpers/netns.js';

const pidAlive = (pid: number) => {
  const r = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && !r.stdout.trim().startsWith('Z');
};

describe.skipIf(!isRoot)('fwsafe lab', () => {
  const state = useStateDir();

  it('up: two namespaces and a real sshd reachable only from the admin side; down removes everything', async () => {
    const name = `fwsafe-test-lab-${process.pid}`;
    try {
      const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
      expect(up.status, up.stderr).toBe(0);
      await expectContract('lab-up', up.json);
      expect(existsSync(`/run/netns/${name}-admin`)).toBe(true);
      expect(existsSync(`/run/netns/${name}-server`)).toBe(true);
      expect(pidAlive(up.json.sshdPid)).toBe(true);
      const ssh = fwsafe(['lab', 'ssh', name, '--state-dir', state.path, '--', 'cat', '/proc/net/dev']);
      expect(ssh.status, ssh.stderr).toBe(0);
      expect(ssh.stdout).toMatch(/fwl[0-9a-f]{6}s/);
      // sshd listens on the lab addresses only (never a wildcard), inside the server namespace.
      const listening = spawnSync('ip', ['netns', 'exec', `${name}-server`, 'ss', '-H', '-ltn'], { encoding: 'utf8' }).stdout;
      expect(listening).toContain('198.51.100.2:22');
      expect(listening).not.toMatch(/(0\.0\.0\.0|\*|\[::\]):22/);
      expect(fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']).json.error.code).toBe('LAB_EXISTS');

      const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
      expect(down.status).toBe(0);
      await expectContract('lab-down', down.json);
      expect(down.json.killed).toEqual([up.json.sshdPid]);
      expect(pidAlive(up.json.sshdPid)).toBe(false);
      expect(existsSync(`/run/netns/${name}-admin`)).toBe(false);
      expect(existsSync(`/run/netns/${name}-server`)).toBe(false);
    } finally {
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
    }
  });

  it('down cleans a partial lab and is a clear no-op for a missing one', () => {
    const name = `fwsafe-test-lp-${process.pid}`;
    spawnSync('ip', ['netns', 'add', `${name}-server`]);
    try {
      const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
      expect(down.json.removed).toEqual([`${name}-server`]);
      expect(existsSync(`/run/netns/${name}-server`)).toBe(false);
      const again = fwsafe(['lab', 'down', name, '--state-dir', state.path]);
      expect(again.status).toBe(0);
      expect(again.stdout).toContain('nothing to remove');
    } finally {
      spawnSync('ip', ['netns', 'del', `${name}-server`]);
    }
  });

  it('the demo (the README main job): lockout predicted, session frozen, rolled back, session back', async () => {
    const name = `fwsafe-test-demo-${process.pid}`;
    try {
      const r = fwsafe(['lab', 'demo', name, '--state-dir', state.path, '--timeout', '5'], { timeoutMs: 120_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('SSH_NEW_LOGIN_BLOCKED');
      expect(r.stdout).toContain('the session is frozen');
      expect(r.stdout).toContain('The session is back');
      expect(r.stdout).toMatch(/apply\s+rolled-back \(timeout\)/);
      expect(r.stdout).toMatch(/apply\s+confirmed/);
      expect(existsSync(`/run/netns/${name}-server`)).toBe(false);
    } finally {
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
    }
  }, 150_000);
});
