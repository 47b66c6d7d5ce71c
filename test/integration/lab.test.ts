import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, fwsafe, ROOT, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { isRoot } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

const pidAlive = (pid: number): boolean => {
  const r = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && !r.stdout.trim().startsWith('Z');
};
const nsExists = (ns: string): boolean => existsSync(`/run/netns/${ns}`);

describe.skipIf(!isRoot)('fwsafe lab', () => {
  const state = useStateDir();
  const labs: string[] = [];
  // Every lab a test creates is removed, whatever the test did (hooks run in reverse: before the state dir goes).
  afterEach(() => {
    for (const name of labs.splice(0)) {
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
      for (const ns of [`${name}-admin`, `${name}-server`]) if (nsExists(ns)) spawnSync('ip', ['netns', 'del', ns]);
    }
  });
  const labName = (tag: string): string => {
    const name = `fwsafe-test-${tag}-${process.pid}`;
    labs.push(name);
    return name;
  };

  it('up: two namespaces, a real sshd reachable from the admin side on the lab addresses only; down removes everything', async () => {
    const name = labName('lab');
    const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(up.status, up.stderr).toBe(0);
    await expectContract('lab-up', up.json);
    expect(nsExists(`${name}-admin`)).toBe(true);
    expect(nsExists(`${name}-server`)).toBe(true);
    expect(pidAlive(up.json.sshdPid)).toBe(true);

    // A plain ssh from the admin namespace, with the lab's own key and known_hosts (strict host key checking).
    const dir = up.json.dir as string;
    const ssh = (addr: string) =>
      spawnSync(
        'ip',
        [
          'netns',
          'exec',
          `${name}-admin`,
          'ssh',
          '-i',
          join(dir, 'id_ed25519'),
          '-o',
          `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'ConnectTimeout=5',
          `root@${addr}`,
          'true',
        ],
        { encoding: 'utf8', timeout: 15_000 },
      );
    const v4 = ssh('198.51.100.2');
    expect(v4.status, v4.stderr).toBe(0);
    const v6 = ssh('2001:db8:100::2');
    expect(v6.status, v6.stderr).toBe(0);

    // `lab ssh -- CMD` runs the command in the server namespace (its veth is there).
    const viaLab = fwsafe(['lab', 'ssh', name, '--state-dir', state.path, '--', 'cat', '/proc/net/dev']);
    expect(viaLab.status, viaLab.stderr).toBe(0);
    expect(viaLab.stdout).toMatch(/fwl[0-9a-f]{6}s/);
    expect(fwsafe(['lab', 'ssh', name, '--state-dir', state.path, '--', 'exit', '7']).status).toBe(7);
    const sshJson = fwsafe(['lab', 'ssh', name, '--state-dir', state.path, '--json', '--', 'exit', '3']);
    expect(sshJson.status).toBe(3);
    await expectContract('lab-ssh', sshJson.json);
    expect(sshJson.json).toEqual({ exitCode: 3 });

    // sshd listens on the lab addresses only (never a wildcard), inside the server namespace.
    const listening = spawnSync('ip', ['netns', 'exec', `${name}-server`, 'ss', '-H', '-ltn'], {
      encoding: 'utf8',
    }).stdout;
    expect(listening).toContain('198.51.100.2:22');
    expect(listening).toContain('[2001:db8:100::2]:22');
    expect(listening).not.toMatch(/(0\.0\.0\.0|\*|\[::\]):22/);

    const again = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(again.status).not.toBe(0);
    expect(again.json.error.code).toBe('LAB_EXISTS');

    const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
    expect(down.status).toBe(0);
    await expectContract('lab-down', down.json);
    expect(down.json.killed).toEqual([up.json.sshdPid]);
    expect(pidAlive(up.json.sshdPid)).toBe(false);
    expect(nsExists(`${name}-admin`)).toBe(false);
    expect(nsExists(`${name}-server`)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('down cleans a partial lab (a namespace gone, sshd still running) and is a clear no-op for a missing one', () => {
    const name = labName('lp');
    const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(up.status, up.stderr).toBe(0);
    spawnSync('ip', ['netns', 'del', `${name}-admin`]);

    const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
    expect(down.status, down.stderr).toBe(0);
    expect(down.json.killed).toEqual([up.json.sshdPid]);
    expect(down.json.removed).toEqual([`${name}-server`, up.json.dir]);
    expect(pidAlive(up.json.sshdPid)).toBe(false);
    expect(nsExists(`${name}-server`)).toBe(false);

    const missing = fwsafe(['lab', 'down', name, '--state-dir', state.path]);
    expect(missing.status).toBe(0);
    expect(missing.stdout).toContain('nothing to remove');
  });

  it('down of a name it never brought up deletes nothing: namespaces called NAME-admin/-server survive', () => {
    const name = labName('lf');
    spawnSync('ip', ['netns', 'add', `${name}-admin`]);
    spawnSync('ip', ['netns', 'add', `${name}-server`]);
    const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
    expect(down.status, down.stderr).toBe(0);
    expect(down.json.removed).toEqual([]);
    expect(down.json.killed).toEqual([]);
    expect(nsExists(`${name}-admin`)).toBe(true);
    expect(nsExists(`${name}-server`)).toBe(true);
  });

  it('down leaves a namespace that was recreated under a recorded name (another namespace now)', () => {
    const name = labName('lr');
    const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(up.status, up.stderr).toBe(0);
    expect(up.json.created.map((c: { netns: string }) => c.netns)).toEqual([`${name}-admin`, `${name}-server`]);
    spawnSync('ip', ['netns', 'del', `${name}-admin`]);
    spawnSync('ip', ['netns', 'add', `${name}-admin`]);
    const down = fwsafe(['lab', 'down', name, '--state-dir', state.path, '--json']);
    expect(down.json.removed).toEqual([`${name}-server`, up.json.dir]);
    expect(nsExists(`${name}-admin`)).toBe(true);
    expect(nsExists(`${name}-server`)).toBe(false);
  });

  it('ssh to a missing lab and a bad lab name are clear errors', () => {
    const missing = fwsafe(['lab', 'ssh', 'fwsafe-test-none', '--state-dir', state.path, '--json', '--', 'true']);
    expect(missing.json.error.code).toBe('LAB_NOT_FOUND');
    const bad = fwsafe(['lab', 'up', '../evil', '--state-dir', state.path, '--json']);
    expect(bad.json.error.code).toBe('BAD_LAB_NAME');
  });

  it('plan run inside a real SSH session into the server predicts that this very session would be cut', () => {
    const name = labName('lpl');
    expect(fwsafe(['lab', 'up', name, '--state-dir', state.path]).status).toBe(0);
    // Over SSH, SSH_CONNECTION names the admin's real address: the probes use it instead of a stand-in.
    const r = fwsafe([
      'lab',
      'ssh',
      name,
      '--state-dir',
      state.path,
      '--',
      process.execPath,
      BIN,
      '--state-dir',
      state.path,
      'plan',
      join(ROOT, 'rulesets', 'lockout-demo.nft'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const errors = (r.json.findings as { code: string; severity: string; message: string }[]).filter(
      (f) => f.severity === 'error',
    );
    // One finding per problem: the analysis' finding, confirmed by real packets through this very session.
    const session = errors.find((f) => f.code === 'SSH_SESSION_CUT') as
      | { message: string; evidence?: string }
      | undefined;
    expect(session?.message).toMatch(/Confirmed by real packets.*198\.51\.100\.1 → 198\.51\.100\.2:22/);
    expect(session?.evidence).toBe('analysis+probe');
    expect(errors.map((f) => f.code).sort()).toEqual(['SSH_NEW_LOGIN_BLOCKED', 'SSH_SESSION_CUT']);
    // Planning changed nothing in the server namespace.
    const live = spawnSync('ip', ['netns', 'exec', `${name}-server`, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
    expect(live.stdout.trim()).toBe('');
  });

  it('an admin connected over IPv6: a proposal dropping neighbour discovery is blocking, and the probe shows why', () => {
    const name = labName('lv6');
    expect(fwsafe(['lab', 'up', name, '--state-dir', state.path]).status).toBe(0);
    const base =
      'table inet filter {\n  chain input { type filter hook input priority 0; policy drop;\n    ct state established,related accept\n    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n    tcp dport 22 accept\n  }\n}\n';
    spawnSync('ip', ['netns', 'exec', `${name}-server`, 'nft', '-f', '-'], { input: base });
    const dir = mkdtempSync(join(tmpdir(), 'fwsafe-lab-v6-'));
    chmodSync(dir, 0o755);
    const proposal = join(dir, 'no-nd.nft');
    writeFileSync(
      proposal,
      `table inet filter\ndelete table inet filter\n${base.replace('    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n', '')}`,
    );
    const r = fwsafe([
      'lab',
      'ssh',
      name,
      '--ipv6',
      '--state-dir',
      state.path,
      '--',
      process.execPath,
      BIN,
      '--state-dir',
      state.path,
      'plan',
      proposal,
      '--json',
    ]);
    removeStateDir(dir);
    expect(r.status, r.stderr).toBe(0);
    const errors = (r.json.findings as { code: string; severity: string; message: string; evidence?: string }[]).filter(
      (f) => f.severity === 'error',
    );
    expect(errors.map((f) => f.code)).toEqual(['ICMPV6_BLOCKED']);
    expect(errors[0]!.evidence).toBe('analysis+probe');
    expect(errors[0]!.message).toMatch(
      /2001:db8:100::1 → 2001:db8:100::2:22 was dropped \(IPv6 neighbour discovery for 2001:db8:100::2 failed/,
    );
  });

  it('the demo (the README main job): lockout predicted, session frozen, rolled back at the deadline, session back, lab gone', async () => {
    const name = labName('demo');
    const started = Date.now();
    // A 12 s window: the frozen-session and timed-out-login steps plus `status` must fit in it on a loaded CI machine.
    const r = fwsafe(['lab', 'demo', name, '--state-dir', state.path, '--timeout', '12'], { timeoutMs: 160_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const milestones = [
      /confirmed \(version \d+\) by root from 198\.51\.100\.1/, // the safe change, confirmed over a new SSH session
      /Confirmed over SSH connection from 198\.51\.100\.1 port \d+ .*opened after the change/,
      /SSH_SESSION_CUT: .*Confirmed by real packets.*198\.51\.100\.1 → 198\.51\.100\.2:22/, // plan, run over SSH, predicted this session's cut
      /SSH_NEW_LOGIN_BLOCKED/,
      /"hello-before-change" → echoed back/,
      /no echo within 2 s: the session is frozen/,
      /a new SSH login → times out/,
      /guards: +1: \d+ alive, 2: \d+ alive/,
      /rolled the change back -?\d+ ms after the deadline/,
      /the session is back/,
      /a new SSH login → works again/,
      /apply +rolled-back \(timeout\)/,
      /apply +confirmed/,
      /Cleaning up/,
    ];
    let from = 0;
    for (const m of milestones) {
      const at = r.stdout.slice(from).search(m);
      expect(at, `milestone ${m} (in order) in:\n${r.stdout}`).toBeGreaterThanOrEqual(0);
      from += at;
    }
    // About 35 s here; the margin is for a loaded CI machine.
    expect(seconds).toBeLessThan(120);

    // The history in the state dir tells the same story: the locking change rolled back on timeout, on time.
    const log = fwsafe(['log', '--state-dir', state.path, '--json']);
    const changes = (log.json.versions as { change: any }[]).filter((v) => v.change).map((v) => v.change);
    expect(changes.map((c) => c.state)).toEqual(['rolled-back', 'confirmed']);
    expect(changes[0].rollbackReason).toBe('timeout');
    expect(Date.parse(changes[0].rolledBackAt) - Date.parse(changes[0].deadline)).toBeLessThan(1000);
    expect(fwsafe(['status', '--state-dir', state.path, '--json']).json.pending).toBeNull();

    // Nothing left behind: namespaces, the lab's sshd, the lab dir.
    const sshdPid = Number(/sshd pid (\d+)/.exec(r.stdout)?.[1]);
    expect(pidAlive(sshdPid)).toBe(false);
    expect(nsExists(`${name}-admin`)).toBe(false);
    expect(nsExists(`${name}-server`)).toBe(false);
    expect(existsSync(join(state.path, 'lab', name))).toBe(false);
  }, 200_000);
});
