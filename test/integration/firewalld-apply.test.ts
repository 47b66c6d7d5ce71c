import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { isRoot, liveRuleset } from '../helpers/netns.js';
import { killWatchdog, versionRecord, waitFor } from '../e2e/state-probe.js';
import { sshArgs } from '../../src/lab/sshd.js';
import { openEchoSession } from '../../src/lab/echo-session.js';
import { removeStateDir } from '../helpers/state-dir.js';

/** The zone as firewall-cmd lists it, one `key: value` per entry (runtime, or permanent). */
function zone(fw: ConfinedFirewalld, name: string, permanent = false): Record<string, string> {
  const r = fw.cmd([...(permanent ? ['--permanent'] : []), `--zone=${name}`, '--list-all']);
  const out: Record<string, string> = {};
  let last = '';
  for (const line of r.stdout.split('\n')) {
    const kv = /^\s+([a-z -]+):\s?(.*)$/.exec(line);
    if (kv && !line.startsWith('\t')) {
      last = kv[1]!;
      out[last] = kv[2]!.trim();
    } else if (line.startsWith('\t') && last) out[last] = `${out[last]} ${line.trim()}`.trim();
  }
  return out;
}
const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean).sort();

// A firewalld plan starts a scratch firewalld (5–10 s here, far more on 2 cores shared by busy neighbours).
describe.skipIf(!isRoot)(
  'fwsafe apply of a firewalld change (confined firewalld in a lab)',
  { timeout: 400_000 },
  () => {
    const state = useStateDir();
    let fw: ConfinedFirewalld | null = null;
    let lab: any = null;
    let dir = '';
    const name = `fwsafe-test-fwd-${process.pid}`;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-apply-'));
      const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
      if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
      lab = up.json;
    });
    afterEach(() => {
      killWatchdog(state.path);
      fw?.stop();
      fw = null;
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
      for (const ns of [`${name}-admin`, `${name}-server`])
        if (existsSync(`/run/netns/${ns}`)) spawnSync('ip', ['netns', 'del', ns]);
      removeStateDir(dir);
    });
    const file = (text: string): string => {
      const p = join(dir, 'change.firewalld');
      writeFileSync(p, text);
      return p;
    };
    const cli = (args: string[], env: Record<string, string> = {}) =>
      fwsafe(['--netns', lab.serverNetns, '--state-dir', state.path, ...args], {
        env: { ...fw!.env, ...env },
        timeoutMs: 120_000,
      });
    /** A brand-new SSH session of the lab running `fwsafe …` on the server (no DBUS_SYSTEM_BUS_ADDRESS there). */
    const overSsh = (args: string[]) =>
      spawnSync(
        'ip',
        [
          'netns',
          'exec',
          lab.adminNetns,
          'ssh',
          ...sshArgs(lab.dir, ['-T']),
          process.execPath,
          BIN,
          '--state-dir',
          state.path,
          ...args,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );

    it('open https, remove cockpit, add a rich rule, change a source: planned, applied, confirmed over a new SSH session, permanent after --reload', async () => {
      fw = await startFirewalld(lab.serverNetns);
      for (const p of [[], ['--permanent']]) {
        expect(fw.cmd([...p, '--zone=public', '--add-service=cockpit']).status).toBe(0);
        expect(fw.cmd([...p, '--zone=internal', '--add-source=10.9.0.0/16']).status).toBe(0);
      }
      const proposal = file(
        [
          '# a typical change',
          '--zone=public --add-service=https',
          'firewall-cmd --zone=public --remove-service=cockpit',
          `--zone=public --add-rich-rule='rule family="ipv4" source address="192.0.2.0/24" service name="http" accept'`,
          '--zone=internal --remove-source=10.9.0.0/16',
          '--zone=internal --add-source=10.10.0.0/16',
          '',
        ].join('\n'),
      );
      const plan = cli(['plan', proposal, '--json']);
      expect(plan.status, plan.stderr + plan.stdout).toBe(0);
      expect(plan.json.format).toBe('firewalld');
      expect(plan.json.findings.filter((f: any) => f.severity === 'error')).toEqual([]);
      expect(plan.json.firewalld.diff.changes).toEqual(
        expect.arrayContaining([
          { container: 'public', kind: 'zone', item: 'service', added: ['https'], removed: ['cockpit'] },
          { container: 'internal', kind: 'zone', item: 'source', added: ['10.10.0.0/16'], removed: ['10.9.0.0/16'] },
        ]),
      );
      const text = cli(['plan', proposal, '--no-probes']);
      expect(text.stdout).toMatch(/zone public[\s\S]*\+ service https[\s\S]*- service cockpit/);

      const applied = cli(['apply', proposal, '--no-wait', '--yes', '--timeout', '90', '--json']);
      expect(applied.status, applied.stderr + applied.stdout).toBe(0);
      await expectContract('apply', applied.json);
      let pub = zone(fw, 'public');
      expect(words(pub.services)).toEqual(['dhcpv6-client', 'https', 'ssh']);
      expect(pub['rich rules']).toContain('192.0.2.0/24');
      expect(words(zone(fw, 'internal').sources)).toEqual(['10.10.0.0/16']);
      // Not permanent yet.
      expect(words(zone(fw, 'public', true).services)).toContain('cockpit');

      const confirmed = overSsh(['confirm', '--json']);
      expect(confirmed.status, confirmed.stderr + confirmed.stdout).toBe(0);
      const c = JSON.parse(confirmed.stdout);
      expect(c.persistedTo).toBe('firewalld permanent configuration');
      expect(c.confirmedBy.from).toBe(lab.admin.v4);
      expect(versionRecord(state.path, applied.json.versionId).change).toMatchObject({
        state: 'confirmed',
        persistedTo: 'firewalld permanent configuration',
        error: null,
      });

      expect(fw.cmd(['--reload']).status).toBe(0);
      pub = zone(fw, 'public');
      expect(words(pub.services)).toEqual(['dhcpv6-client', 'https', 'ssh']);
      expect(pub['rich rules']).toContain(
        'rule family="ipv4" source address="192.0.2.0/24" service name="http" accept',
      );
      expect(words(zone(fw, 'internal').sources)).toEqual(['10.10.0.0/16']);
      expect(liveRuleset(lab.serverNetns)).toMatch(/tcp dport 443 .*accept/);
    });

    it("removing ssh from the admin's zone: predicted and refused; with --force the deadline restores it while someone else's 8443/tcp survives", async () => {
      fw = await startFirewalld(lab.serverNetns);
      const ssh = { SSH_CONNECTION: `${lab.admin.v4} 50000 ${lab.server.v4} 22` };
      const login = () =>
        spawnSync(
          'ip',
          ['netns', 'exec', lab.adminNetns, 'ssh', ...sshArgs(lab.dir, ['-T', '-o', 'ConnectTimeout=3']), 'true'],
          { timeout: 15_000 },
        ).status === 0;
      const proposal = file('--zone=public --remove-service=ssh\n');
      const plan = cli(['plan', proposal, '--json'], ssh);
      expect(plan.status, plan.stderr).toBe(0);
      const codes = plan.json.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code);
      expect(codes).toContain('FIREWALLD_SSH_REMOVED');
      // The real packets agree, naming the rule of firewalld's table that decided.
      const probe = plan.json.findings.find((f: any) => f.code === 'PROBE_NEW_LOGIN_BLOCKED');
      // The deciding rule itself: table, chain and the rule's text (as the trace printed it).
      expect(probe?.location ?? '', JSON.stringify(probe)).toMatch(/^inet firewalld filter_\S+: \S/);
      expect(probe?.message ?? '').toMatch(/(rejected|dropped) by inet firewalld filter_/);
      const before = liveRuleset(lab.serverNetns);
      const refused = cli(['apply', proposal, '--no-wait', '--yes', '--timeout', '60', '--json'], ssh);
      expect(refused.status).toBe(5);
      expect(liveRuleset(lab.serverNetns)).toBe(before);

      const session = openEchoSession(lab);
      try {
        expect(await session.send('before', 8000)).toBe(true);
        const applied = cli(['apply', proposal, '--no-wait', '--yes', '--force', '--timeout', '25', '--json'], ssh);
        expect(applied.status, applied.stderr + applied.stdout).toBe(0);
        expect(words(zone(fw, 'public').services)).toEqual(['dhcpv6-client']);
        expect(login()).toBe(false);
        // Someone else's runtime change inside the window: the rollback must leave it.
        expect(fw.cmd(['--zone=public', '--add-port=8443/tcp']).status).toBe(0);
        expect(await session.send('during', 8000)).toBe(true); // established traffic is accepted by firewalld
        expect(await waitFor(() => !existsSync(join(state.path, 'pending.json')), 60_000)).toBe(true);
        const v = versionRecord(state.path, applied.json.versionId);
        expect(v.change).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout', error: null });
        const pub = zone(fw, 'public');
        expect(words(pub.services)).toEqual(['dhcpv6-client', 'ssh']);
        expect(words(pub.ports)).toEqual(['8443/tcp']);
        expect(login()).toBe(true);
        expect(await session.send('after', 8000)).toBe(true);
      } finally {
        session.close();
      }
    });
  },
);
