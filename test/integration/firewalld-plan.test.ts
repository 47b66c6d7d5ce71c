import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { isRoot, liveRuleset, useNetns } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

// A firewalld plan starts a scratch firewalld (5–10 s here, far more on 2 cores shared by busy neighbours).
describe.skipIf(!isRoot)('fwsafe plan of a firewalld proposal (confined firewalld)', { timeout: 400_000 }, () => {
  const ns = useNetns('fwdplan');
  const state = useStateDir();
  let fw: ConfinedFirewalld | null = null;
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-fwd-test-'));
  });
  afterEach(() => {
    fw?.stop();
    fw = null;
    removeStateDir(dir);
  });
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('opens https: zone diff, nft diff of inet firewalld, inverse operations; nothing live touched', async () => {
    fw = await startFirewalld(ns.name);
    fw.cmd(['--zone=public', '--add-port=9000/tcp']); // runtime-only: the scratch must reproduce it
    const before = liveRuleset(ns.name);
    const p = file('open.firewalld', '# open https\n--zone=public --add-service=https\n');
    const r = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'plan', p, '--json'], { env: fw.env });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const f = r.json.firewalld;
    expect(f.diff.changes).toEqual([
      { container: 'public', kind: 'zone', item: 'service', added: ['https'], removed: [] },
    ]);
    expect(f.rollbackOps).toEqual([['--zone=public', '--remove-service=https']]);
    expect(f.ops[0].argv).toEqual(['--zone=public', '--add-service=https']);
    expect(r.json.touchedTables).toMatchObject([{ family: 'inet', name: 'firewalld', owner: 'firewalld' }]);
    expect(r.json.diff.unified).toMatch(/\+.*dport 443/);
    expect(r.json.findings.filter((x: any) => x.severity === 'error')).toEqual([]);
    expect(r.json.findings.map((x: any) => x.code)).not.toContain('FIREWALLD_NOT_REPRODUCED');
    expect(r.json.findings.map((x: any) => x.code)).not.toContain('PROBES_FAILED');
    expect(liveRuleset(ns.name)).toBe(before);
    expect(existsSync('/run/firewalld')).toBe(false);
  });

  it('bad input: each a clear error naming the line, nothing changed (ruleset and zones), also through apply', async () => {
    fw = await startFirewalld(ns.name);
    const before = liveRuleset(ns.name);
    const zones = fw.cmd(['--list-all-zones']).stdout;
    const cases: [string, string, number, RegExp][] = [
      [
        'reload.firewalld',
        '--zone=public --add-service=https\n--reload\n',
        9,
        /line 2: `--reload` — --reload is refused/,
      ],
      ['perm.firewalld', '--permanent --zone=public --add-service=https\n', 9, /line 1: .*--permanent is refused/],
      ['shell.firewalld', '--zone=public --add-service=https; reboot\n', 9, /shell character ;/],
      ['direct.txt', '--direct --add-rule ipv4 filter INPUT 0 -j ACCEPT\n', 9, /direct rules bypass zones/],
      [
        'x.firewalld',
        'table inet filter {\n}\n',
        9,
        /line 1: `table inet filter \{` — not a firewall-cmd operation.*looks like nft/,
      ],
      // Valid syntax that firewalld itself refuses, found by the scratch firewalld.
      [
        'nosuch.firewalld',
        '--zone=public --add-service=https\n--zone=public --add-service=nosuch\n',
        4,
        /line 2: .*firewalld refused it: Error: INVALID_SERVICE: nosuch/,
      ],
      ['nozone.firewalld', '--zone=nosuch --add-service=https\n', 4, /INVALID_ZONE/],
      [
        'r2p.firewalld',
        '--zone=public --add-service=https\n--runtime-to-permanent\n',
        9,
        /line 2: .*--runtime-to-permanent is refused: it would make every runtime change permanent/,
      ],
      ['panic.firewalld', '--panic-on\n', 9, /line 1: .*--panic-on is refused: panic mode drops all traffic/],
      ['query.firewalld', '--zone=public --query-service=ssh\n', 9, /line 1: .*--query-service.* only prints/],
      [
        'timeout.firewalld',
        '--zone=public --add-service=https --timeout=60\n',
        9,
        /line 1: .*--timeout.* firewalld would expire the item on its own/,
      ],
      ['ipset.firewalld', '--ipset=blocked --add-entry=192.0.2.1\n', 9, /line 1: .*ipset entries are not staged/],
      ['newzone.firewalld', '--new-zone=dmz2\n', 9, /line 1: .*--new-zone.* permanent-only configuration/],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const [name, text, code, why] of cases) {
      const p = file(name, text);
      for (const args of [
        ['plan', p, '--json'],
        ['apply', p, '--no-wait', '--yes', '--timeout', '30', '--json'],
      ]) {
        const r = fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args], { env: fw.env });
        expect(r.status, `${name} ${args[0]}: ${r.stdout}`).toBe(code);
        expect(r.json.error.message, name).toMatch(why);
      }
    }
    expect(liveRuleset(ns.name)).toBe(before);
    expect(fw.cmd(['--list-all-zones']).stdout).toBe(zones);
  });
});
