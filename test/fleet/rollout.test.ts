import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { isRoot } from '../helpers/netns.js';
import { fleetDown, fleetUp, hostRuleset, ourSshPids, readState, resetHost, writeInventory, type FleetHost, type FleetLab } from './fleet-lab.js';

const BASELINE = readFileSync(join(ROOT, 'rulesets', 'baseline.nft'), 'utf8');
const TEMPLATE = join(ROOT, 'test', 'fleet', 'fixtures', 'admin-https.nft.j2');
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;

interface PlayRun {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: string | null; output: string; seconds: number }>;
}

/** ansible-playbook inside the controller namespace, in a process group of its own (so it can be killed whole). */
function play(lab: FleetLab, args: string[]): PlayRun {
  const t0 = Date.now();
  const child = spawn('ip', ['netns', 'exec', lab.controller, 'ansible-playbook', 'fwsafe.fwsafe.rollout', '-i', join(lab.dir, 'inventory.json'), ...args], {
    env: lab.env,
    cwd: lab.dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ status: number | null; signal: string | null; output: string; seconds: number }>((resolve) =>
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

const record = (lab: FleetLab, name: string): any => JSON.parse(readFileSync(join(lab.dir, 'records', `${name}.json`), 'utf8'));
const hostEntry = (rec: any, host: string): any => rec.hosts.find((h: any) => h.host === host);
const versions = (host: FleetHost): any[] => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'log', '--json', '--state-dir', host.stateDir], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout).versions : [];
};
const changes = (host: FleetHost): any[] => versions(host).filter((v) => v.change !== null);
const HAS_HTTPS = /tcp dport 443 counter accept comment "https"/;

describe.skipIf(!isRoot || !hasAnsible)('fleet rollout with Ansible (4 lab hosts)', () => {
  let lab: FleetLab;
  const common = (name: string, vars: Record<string, unknown> = {}): string[] =>
    extraVars({ fwsafe_proposal_template: TEMPLATE, fwsafe_change_name: name, fwsafe_record_dir: join(lab.dir, 'records'), fleet_admins: ['10.77.0.0/24'], ...vars });

  beforeAll(async () => {
    lab = await fleetUp(4, BASELINE);
  });
  afterAll(() => {
    if (lab) fleetDown(lab);
  });
  beforeEach(() => {
    for (const h of lab.hosts) resetHost(h, BASELINE);
    writeInventory(lab, {});
  });

  it('check mode: every host planned, diffs shown, nothing changed anywhere', async () => {
    const before = lab.hosts.map(hostRuleset);
    const r = await play(lab, ['--check', '--diff', ...common('check')]).done;
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
    const r = await play(lab, [...common('good', { fwsafe_timeout: 60, fwsafe_health_ports: [{ port: 22 }, { port: 22, from: 'h1' }] })]).done;
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
    // Never the root namespace.
    expect(spawnSync('nft', ['list', 'set', 'inet', 'filter', 'admins']).status).not.toBe(0);
    const md = readFileSync(join(lab.dir, 'records', 'good.md'), 'utf8');
    expect(md).toMatch(/\| h4 \| confirmed \|/);
    // The waves: 1, then 10 % (1 host), then the rest.
    expect(r.output.match(/PLAY \[fwsafe staged rollout\]/g)?.length).toBe(3);
    console.log(`fleet: good change on 4 hosts in ${r.seconds.toFixed(1)} s`);
  });
});
