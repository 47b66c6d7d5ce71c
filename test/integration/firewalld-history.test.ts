import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { isRoot, liveRuleset, useNetns } from '../helpers/netns.js';
import { killWatchdog } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

// A firewalld plan starts a scratch firewalld (5–10 s here, far more on 2 cores shared by busy neighbours).
describe.skipIf(!isRoot)(
  'a manager rewrote what fwsafe applied; firewalld zones in show and diff',
  { timeout: 400_000 },
  () => {
    const ns = useNetns('fwdhist');
    const state = useStateDir();
    let fw: ConfinedFirewalld | null = null;
    let dir = '';
    afterEach(() => {
      killWatchdog(state.path);
      fw?.stop();
      fw = null;
      if (dir) removeStateDir(dir);
    });

    it('a forced edit inside inet firewalld, confirmed, then lost on --reload: status, log and detect name the table', async () => {
      fw = await startFirewalld(ns.name);
      const cli = (...args: string[]) =>
        fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args], { env: fw!.env });
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-hist-'));
      const p = join(dir, 'forced.nft');
      writeFileSync(p, 'add rule inet firewalld filter_IN_public_allow tcp dport 8081 accept\n');
      const applied = cli('apply', p, '--no-wait', '--yes', '--force', '--no-probes', '--timeout', '60', '--json');
      expect(applied.status, applied.stderr + applied.stdout).toBe(0);
      expect(cli('confirm', '--json').status).toBe(0);
      const quiet = cli('status', '--json');
      expect(quiet.json.rewritten).toEqual([]);
      await expectContract('status', quiet.json);

      expect(fw.cmd(['--reload']).status).toBe(0);
      expect(liveRuleset(ns.name)).not.toContain('dport 8081');
      const status = cli('status', '--json');
      await expectContract('status', status.json);
      expect(status.json.rewritten).toMatchObject([
        { table: 'inet firewalld', version: applied.json.versionId, now: 'changed' },
      ]);
      expect(cli('status').stdout).toMatch(
        /warning: table inet firewalld \(netns .*\) no longer matches version \d+, confirmed at .*firewalld --reload/,
      );
      const log = cli('log', '--json');
      await expectContract('log', log.json);
      expect(log.json.rewritten).toHaveLength(1);
      expect(cli('log').stderr).toMatch(/warning: table inet firewalld .*no longer matches version/);
      const detect = cli('detect', '--json');
      expect(detect.json.warnings.map((w: any) => w.code)).toContain('MANAGER_REWROTE_TABLE');

      // show and diff render firewalld's zones as text, one item per line.
      expect(cli('show', 'latest').stdout).toMatch(
        /# firewalld \(runtime\): default zone public\nzone public \(default\)\n {2}service dhcpv6-client\n {2}service ssh/,
      );
      expect(fw.cmd(['--zone=public', '--add-service=https']).status).toBe(0);
      expect(cli('diff', 'latest', 'live').stdout).toMatch(/\n\+ {2}service https\n/);
    });
  },
);
