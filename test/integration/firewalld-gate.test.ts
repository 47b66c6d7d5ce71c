// A firewalld change passes the one gate (src/apply/gate.ts) like an nft one: a plan file is verified
// (exit 12 when altered), its recorded operations are planned again on the host with a scratch firewalld
// (drift: exit 8), and applied by the firewalld runtime under the watchdog.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { isRoot, liveRuleset, useNetns } from '../helpers/netns.js';
import { killWatchdog } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

const services = (fw: ConfinedFirewalld): string[] =>
  fw.cmd(['--zone=public', '--list-services']).stdout.trim().split(/\s+/).filter(Boolean).sort();

// A firewalld plan starts a scratch firewalld (5–10 s here, far more on 2 cores shared by busy neighbours).
describe.skipIf(!isRoot)('a firewalld plan file through the gate', { timeout: 600_000 }, () => {
  const ns = useNetns('fwdgate');
  const state = useStateDir();
  let fw: ConfinedFirewalld | null = null;
  let dir = '';
  afterEach(() => {
    killWatchdog(state.path);
    fw?.stop();
    fw = null;
    if (dir) removeStateDir(dir);
  });

  it('apply --plan: altered → 12, drifted → 8, then re-planned on the host and applied; rollback restores', async () => {
    fw = await startFirewalld(ns.name);
    const cli = (...args: string[]) =>
      fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args], { env: fw!.env, timeoutMs: 180_000 });
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-gate-'));
    // Named without the .firewalld extension: the plan file's text is recognised by its content.
    const proposal = join(dir, 'change.txt');
    writeFileSync(proposal, '--zone=public --add-service=https\n');
    const planPath = join(dir, 'plan.json');
    const made = cli('plan', proposal, '--no-probes', '--out', planPath, '--json');
    expect(made.status, made.stderr + made.stdout).toBe(0);
    expect(made.json.format).toBe('firewalld');
    const before = services(fw);
    expect(before).not.toContain('https');

    // Altered: the recorded text no longer matches its sha256.
    const recorded = JSON.parse(readFileSync(planPath, 'utf8'));
    const altered = join(dir, 'altered.json');
    const text = '--zone=public --remove-service=ssh\n';
    writeFileSync(altered, JSON.stringify({ ...recorded, proposal: { ...recorded.proposal, text } }));
    const tampered = cli('apply', '--plan', altered, '--no-wait', '--yes', '--no-probes', '--json');
    expect(tampered.status, tampered.stderr + tampered.stdout).toBe(12);
    expect(tampered.json.error.code).toBe('PLAN_TAMPERED');
    expect(services(fw)).toEqual(before);

    // Drift: someone else opened a port since the plan: its base is not the live ruleset.
    expect(fw.cmd(['--zone=public', '--add-port=8443/tcp']).status).toBe(0);
    const rulesDrifted = liveRuleset(ns.name);
    const drifted = cli('apply', '--plan', planPath, '--no-wait', '--yes', '--no-probes', '--json');
    expect(drifted.status, drifted.stderr + drifted.stdout).toBe(8);
    expect(services(fw)).toEqual(before);
    expect(liveRuleset(ns.name)).toBe(rulesDrifted);
    expect(fw.cmd(['--zone=public', '--remove-port=8443/tcp']).status).toBe(0);

    // The same plan file, the base back: planned again with the scratch firewalld, applied by firewalld.
    const applied = cli('apply', '--plan', planPath, '--no-wait', '--yes', '--no-probes', '--timeout', '120', '--json');
    expect(applied.status, applied.stderr + applied.stdout).toBe(0);
    await expectContract('apply', applied.json);
    expect(services(fw)).toContain('https');
    expect(liveRuleset(ns.name)).toMatch(/tcp dport 443 .*accept/);

    // The rollback built on the host (the inverse operations) runs through firewalld.
    const rolled = cli('rollback', '--json');
    expect(rolled.status, rolled.stderr + rolled.stdout).toBe(0);
    expect(services(fw)).toEqual(before);
  });
});
