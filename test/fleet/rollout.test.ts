import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { isRoot } from '../helpers/netns.js';
import {
  fleetDown,
  fleetUp,
  hostRuleset,
  ourSshPids,
  readState,
  resetHost,
  writeInventory,
  type FleetHost,
  type FleetLab,
} from './fleet-lab.js';

const BASELINE = readFileSync(join(ROOT, 'rulesets', 'baseline.nft'), 'utf8');
const TEMPLATE = join(ROOT, 'test', 'fleet', 'fixtures', 'admin-https.nft.j2');
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;

interface PlayRun {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: string | null; output: string; seconds: number }>;
}

/** ansible-playbook inside the controller namespace, in a process group of its own (so it can be killed whole). */
function play(lab: FleetLab, args: string[], playbook = 'fwsafe.fwsafe.rollout'): PlayRun {
  const t0 = Date.now();
  const child = spawn(
    'ip',
    ['netns', 'exec', lab.controller, 'ansible-playbook', playbook, '-i', join(lab.dir, 'inventory.json'), ...args],
    {
      env: lab.env,
      cwd: lab.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ status: number | null; signal: string | null; output: string; seconds: number }>(
    (resolve) =>
      child.on('close', (status, signal) => resolve({ status, signal, output, seconds: (Date.now() - t0) / 1000 })),
  );
  return { child, done };
}

const extraVars = (vars: Record<string, unknown>): string[] => ['-e', JSON.stringify(vars)];

/** Polls (bounded) until `check` holds; returns whether it did. */
async function until(check: () => boolean, ms: number, every = 250): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return check();
}

const record = (lab: FleetLab, name: string): any =>
  JSON.parse(readFileSync(join(lab.dir, 'records', `${name}.json`), 'utf8'));
const hostEntry = (rec: any, host: string): any => rec.hosts.find((h: any) => h.host === host);
const versions = (host: FleetHost): any[] => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'log', '--json', '--state-dir', host.stateDir], {
    encoding: 'utf8',
  });
  return r.status === 0 ? JSON.parse(r.stdout).versions : [];
};
const changes = (host: FleetHost): any[] => versions(host).filter((v) => v.change !== null);
const HAS_HTTPS = /tcp dport 443 counter accept comment "https"/;

describe.skipIf(!isRoot || !hasAnsible)('fleet rollout with Ansible (4 lab hosts)', () => {
  let lab: FleetLab;
  const common = (name: string, vars: Record<string, unknown> = {}): string[] =>
    extraVars({
      fwsafe_proposal_template: TEMPLATE,
      fwsafe_change_name: name,
      fwsafe_record_dir: join(lab.dir, 'records'),
      ...vars,
    });
  // Every host's admin set holds the controller's network; host 2's can be made to differ (extra vars would override it).
  const admins = (h2: string[], h2Vars: Record<string, unknown> = {}): void => {
    const ok = { fleet_admins: ['10.77.0.0/24'] };
    writeInventory(lab, { h1: ok, h2: { fleet_admins: h2, ...h2Vars }, h3: ok, h4: ok });
  };

  beforeAll(async () => {
    lab = await fleetUp(4, BASELINE);
  });
  afterAll(() => {
    if (lab) fleetDown(lab);
  });
  beforeEach(() => {
    for (const h of lab.hosts) resetHost(h, BASELINE);
    admins(['10.77.0.0/24']);
  });

  it('the collection: built and installed from its tarball; its modules document themselves', () => {
    for (const module of ['fwsafe.fwsafe.fwsafe', 'fwsafe.fwsafe.fleet_record']) {
      const doc = spawnSync('ansible-doc', [module], { env: lab.env, encoding: 'utf8' });
      expect(doc.status, doc.stderr).toBe(0);
      expect(doc.stdout).toMatch(/OPTIONS/);
    }
    const syntax = spawnSync(
      'ansible-playbook',
      ['--syntax-check', 'fwsafe.fwsafe.rollout', 'fwsafe.fwsafe.install', '-i', join(lab.dir, 'inventory.json')],
      { env: lab.env, encoding: 'utf8' },
    );
    expect(syntax.status, syntax.stdout + syntax.stderr).toBe(0);
  });

  it('check mode: every host planned, diffs shown, nothing changed anywhere', async () => {
    const before = lab.hosts.map(hostRuleset);
    const r = await play(lab, ['--check', '--diff', ...common('check', { fwsafe_serial: ['100%'] })]).done;
    expect(r.status, r.output).toBe(0);
    // The diff of each host: the new https rule and the admin-only ssh rule.
    const diffs = r.output.match(/\+\s+tcp dport 443 counter accept comment "https"/g) ?? [];
    expect(diffs.length, r.output).toBe(4);
    expect(lab.hosts.map(hostRuleset)).toEqual(before);
    for (const h of lab.hosts) {
      expect(readState(h, 'pending.json')).toBeNull();
      expect(changes(h)).toEqual([]);
    }
    const rec = record(lab, 'check');
    expect(rec.hosts.map((h: any) => h.outcome)).toEqual(['planned', 'planned', 'planned', 'planned']);
    expect(rec.rollout.check_mode).toBe(true);
  });

  it('a good change: canary, then waves; every host confirmed over a new connection; the record says so', async () => {
    const r = await play(lab, [
      ...common('good', { fwsafe_timeout: 60, fwsafe_health_ports: [{ port: 22 }, { port: 22, from: 'h1' }] }),
    ]).done;
    expect(r.status, r.output).toBe(0);
    const rec = record(lab, 'good');
    expect(rec.verdict).toMatch(/^Complete/);
    for (const h of lab.hosts) {
      // fwsafe acted in the host's own namespace (the one its sshd runs in) ...
      expect(hostRuleset(h)).toMatch(HAS_HTTPS);
      const [change] = changes(h);
      expect(change?.change.state).toBe('confirmed');
      // ... confirmed from the controller's address, over SSH.
      expect(change?.change.confirmedBy.from).toBe('10.77.0.1');
      const e = hostEntry(rec, h.name);
      expect(e.outcome).toBe('confirmed');
      expect(e.change_id).toBe(change?.change.changeId);
      expect(Number(e.version)).toBe(change?.id);
      expect(e.confirmed_by.from).toBe('10.77.0.1');
    }
    // The confirm came over new connections, not a multiplexed one: each host's sshd accepted at least three
    // logins (the first connection, the reconnect, the confirm), and h1 more (it ran the peer health checks).
    for (const h of lab.hosts) {
      const logins =
        readFileSync(join(h.dir, 'sshd.log'), 'utf8').match(/Accepted publickey for root from 10\.77\.0\.1 /g) ?? [];
      expect(logins.length, h.name).toBeGreaterThanOrEqual(3);
    }
    // Never the root namespace.
    expect(spawnSync('nft', ['list', 'set', 'inet', 'filter', 'admins']).status).not.toBe(0);
    const md = readFileSync(join(lab.dir, 'records', 'good.md'), 'utf8');
    expect(md).toMatch(/\| h4 \| confirmed \|/);
    // The waves: 1, then 10 % (1 host), then the rest.
    expect(r.output.match(/PLAY \[fwsafe staged rollout\]/g)?.length).toBe(3);
    console.log(`fleet: good change on 4 hosts in ${r.seconds.toFixed(1)} s`);
  });

  it('host 2 locked out (its admin set differs; findings forced past): canary confirmed, host 2 rolls back by itself at its deadline, play stops, hosts 3-4 untouched', async () => {
    admins(['10.99.0.0/24'], { fwsafe_force: true });
    const before = lab.hosts.map(hostRuleset);
    const r = await play(lab, [
      ...common('lockout', { fwsafe_timeout: 30, fwsafe_reconnect_timeout: 10, fwsafe_verify_margin: 5 }),
    ]).done;
    expect(r.status, r.output).not.toBe(0);
    const [h1, h2, h3, h4] = lab.hosts as [FleetHost, FleetHost, FleetHost, FleetHost];
    // The canary kept its change.
    expect(hostRuleset(h1)).toMatch(HAS_HTTPS);
    expect(changes(h1)[0]?.change.state).toBe('confirmed');
    // Host 2: applied, the new connection failed, its own watchdog restored the previous rules at the deadline.
    expect(hostRuleset(h2)).toBe(before[1]);
    const [c2] = changes(h2);
    expect(c2?.change.state).toBe('rolled-back');
    expect(c2?.change.rollbackReason).toBe('timeout');
    expect(Date.parse(c2.change.rolledBackAt)).toBeGreaterThanOrEqual(Date.parse(c2.change.deadline));
    expect(Date.parse(c2.change.rolledBackAt) - Date.parse(c2.change.deadline)).toBeLessThan(5000);
    expect(r.output).toMatch(/New SSH connection after the change failed/);
    // Hosts 3 and 4 were never touched: same rules, no fwsafe state at all.
    expect(hostRuleset(h3)).toBe(before[2]);
    expect(hostRuleset(h4)).toBe(before[3]);
    expect(existsSync(h3.stateDir) || existsSync(h4.stateDir)).toBe(false);
    expect(r.output.match(/PLAY \[fwsafe staged rollout\]/g)?.length).toBe(2);
    // The record says exactly that.
    const rec = record(lab, 'lockout');
    expect(rec.hosts.map((h: any) => h.outcome)).toEqual(['confirmed', 'rolled-back', 'not-started', 'not-started']);
    const e2 = hostEntry(rec, 'h2');
    expect(e2.change_id).toBe(c2.change.changeId);
    expect(e2.rollback_reason).toBe('timeout');
    expect(e2.stage).toBe('reconnect');
    expect(rec.verdict).toBe('Stopped: h2 not confirmed');
    const md = readFileSync(join(lab.dir, 'records', 'lockout.md'), 'utf8');
    expect(md).toMatch(/\| h2 \| rolled-back \|.*rolled back by its watchdog \(timeout\)/);
    console.log(`fleet: lockout record\n${md}`);
  });

  it('a failed health check on host 2 (nothing listens on its 443): not confirmed, rolled back by its watchdog, play stops', async () => {
    admins(['10.77.0.0/24'], { fwsafe_health_ports: [{ port: 443 }] });
    const before = lab.hosts.map(hostRuleset);
    const r = await play(lab, [...common('health', { fwsafe_timeout: 25, fwsafe_verify_margin: 5 })]).done;
    expect(r.status, r.output).not.toBe(0);
    const c1 = changes(lab.hosts[0]!)[0]?.change;
    expect(c1?.state, `${JSON.stringify(c1)}\n${r.output}`).toBe('confirmed');
    expect(hostRuleset(lab.hosts[1]!)).toBe(before[1]);
    expect(changes(lab.hosts[1]!)[0]?.change.rollbackReason).toBe('timeout');
    const rec = record(lab, 'health');
    expect(rec.hosts.map((h: any) => h.outcome)).toEqual(['confirmed', 'rolled-back', 'not-started', 'not-started']);
    expect(hostEntry(rec, 'h2').stage).toBe('health');
    expect(lab.hosts.slice(2).map(hostRuleset)).toEqual(before.slice(2));
  });

  it('the same change without force: host 2 is stopped by its plan, nothing applied there, hosts 3-4 untouched', async () => {
    admins(['10.99.0.0/24']);
    const before = lab.hosts.map(hostRuleset);
    const r = await play(lab, [...common('blocked', { fwsafe_timeout: 40 })]).done;
    expect(r.status, r.output).not.toBe(0);
    expect(changes(lab.hosts[0]!)[0]?.change.state).toBe('confirmed');
    expect(lab.hosts.slice(1).map(hostRuleset)).toEqual(before.slice(1));
    expect(changes(lab.hosts[1]!)).toEqual([]);
    const rec = record(lab, 'blocked');
    expect(rec.hosts.map((h: any) => h.outcome)).toEqual(['confirmed', 'blocked', 'not-started', 'not-started']);
    expect(hostEntry(rec, 'h2').blocking.join(' ')).toMatch(/NEW_LOGIN_BLOCKED/);
  });

  it('the controller killed in the middle of a wave: every host inside its window rolls back by itself', async () => {
    // The second wave waits 20 s after applying (settle), so the controller can be killed inside its window.
    const wait = { fleet_admins: ['10.77.0.0/24'], fwsafe_settle_seconds: 20 };
    writeInventory(lab, { h1: { fleet_admins: ['10.77.0.0/24'] }, h2: wait, h3: wait, h4: wait });
    const before = lab.hosts.map(hostRuleset);
    const run = play(lab, [...common('kill', { fwsafe_serial: [1, '100%'], fwsafe_timeout: 40 })]);
    let output = '';
    run.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    const [h1, ...wave] = lab.hosts as [FleetHost, ...FleetHost[]];
    // Wait (bounded) until the whole second wave has applied and the controller has noted it (then it settles):
    // each host has a pending change, it is live, and the controller's record has the host as pending.
    const entryFile = (h: FleetHost): string => join(lab.dir, 'records', 'kill.hosts', `${h.name}.json`);
    const isApplied = (h: FleetHost): boolean =>
      readState(h, 'pending.json') !== null &&
      HAS_HTTPS.test(hostRuleset(h)) &&
      existsSync(entryFile(h)) &&
      readFileSync(entryFile(h), 'utf8').includes('"pending"');
    const applied = await until(() => run.child.exitCode !== null || wave.every(isApplied), 150_000, 500);
    expect(applied && run.child.exitCode === null, `the second wave never applied:\n${output}`).toBe(true);
    for (const h of wave) expect(hostRuleset(h)).toMatch(HAS_HTTPS);
    const killedAt = Date.now();
    process.kill(-run.child.pid!, 'SIGKILL');
    const exit = await run.done;
    expect(exit.signal).toBe('SIGKILL');
    for (const pid of ourSshPids(lab)) process.kill(pid, 'SIGKILL');
    // The controller left a trace: the wave's hosts recorded as pending, with their deadlines.
    for (const h of wave) {
      const entry = JSON.parse(readFileSync(entryFile(h), 'utf8'));
      expect(entry.outcome).toBe('pending');
      expect(entry.change_id).toBe(JSON.parse(readState(h, 'pending.json')!).changeId);
    }
    // Each host restores its previous rules by itself (observed: the ruleset is the baseline again).
    const back = await until(() => wave.every((h, i) => hostRuleset(h) === before[i + 1]), 90_000, 500);
    expect(back, 'a host of the killed wave kept its unconfirmed change').toBe(true);
    for (const h of wave) {
      const [c] = changes(h);
      expect(c?.change.state).toBe('rolled-back');
      expect(c?.change.rollbackReason).toBe('timeout');
    }
    // The canary, confirmed before the kill, keeps its change.
    expect(hostRuleset(h1)).toMatch(HAS_HTTPS);
    expect(changes(h1)[0]?.change.state).toBe('confirmed');
    console.log(
      `fleet: killed controller; wave rolled back ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
  });

  it('install: the self-contained bundle unpacked on a host (Node >= 20 checked); the module runs the installed fwsafe', async () => {
    const out = spawnSync(process.execPath, [join(ROOT, 'scripts', 'pack-bundle.js'), lab.dir], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const bundle = join(lab.dir, 'fwsafe-bundle-0.1.0.tar.gz');
    const h1 = lab.hosts[0]!;
    const vars = {
      fwsafe_hosts: 'h1',
      fwsafe_bundle: bundle,
      fwsafe_install_dir: join(h1.dir, 'opt'),
      fwsafe_bin_link: join(h1.dir, 'fwsafe'),
    };
    const r = await play(lab, extraVars(vars), 'fwsafe.fwsafe.install').done;
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/fwsafe\/0\.1\.0 linux-x64 node-v2\d/);
    // The installed tree is root-owned and runs from the link; the module can use it.
    const ls = spawnSync('find', [join(h1.dir, 'opt'), '!', '-user', 'root'], { encoding: 'utf8' });
    expect(ls.stdout).toBe('');
    const adhoc = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        lab.controller,
        'ansible',
        'h1',
        '-i',
        join(lab.dir, 'inventory.json'),
        '-m',
        'fwsafe.fwsafe.fwsafe',
        '-a',
        `command=status executable=${join(h1.dir, 'fwsafe')} state_dir=${h1.stateDir}`,
      ],
      { env: lab.env, cwd: lab.dir, encoding: 'utf8', timeout: 120_000 },
    );
    expect(adhoc.status, adhoc.stdout + adhoc.stderr).toBe(0);
    expect(adhoc.stdout).toMatch(/"state": "none"/);
    // A second run changes nothing.
    const again = await play(lab, extraVars(vars), 'fwsafe.fwsafe.install').done;
    expect(again.output).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  // Figures for docs/fleet.md (FWSAFE_FLEET_BENCH=1): the good change on 4 hosts, in one wave with 1, 2, 4 forks,
  // and staged (1, 10 %, 100 %) with the default 5 forks.
  it.runIf(process.env.FWSAFE_FLEET_BENCH === '1')(
    'bench: rollout time by forks',
    async () => {
      const rows: string[] = [];
      const cases: [string, unknown, number][] = [
        ['one wave', ['100%'], 1],
        ['one wave', ['100%'], 2],
        ['one wave', ['100%'], 4],
        ['staged', [1, '10%', '100%'], 5],
      ];
      for (const [label, serial, forks] of cases) {
        for (const h of lab.hosts) resetHost(h, BASELINE);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
        const r = await play(lab, [
          '--forks',
          String(forks),
          ...common('bench', { fwsafe_serial: serial, fwsafe_timeout: 120 }),
        ]).done;
        expect(r.status, r.output).toBe(0);
        rows.push(`${label} serial=${JSON.stringify(serial)} forks=${forks}: ${r.seconds.toFixed(1)} s (load ${load})`);
      }
      console.log(`fleet bench:\n${rows.join('\n')}`);
    },
    900_000,
  );
});
