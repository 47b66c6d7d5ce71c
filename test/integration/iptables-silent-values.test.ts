import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fwsafe } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

// Values iptables-restore 1.8.9 accepts with exit 0 on both variants but stores as others (measured:
// docs/iptables.md, "Values refused"). fwsafe refuses them as bad input and the live rules stay as they were.
const LIVE = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
[9:540] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
[2:120] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;
const proposal = (rule: string): string =>
  `*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n${rule}\nCOMMIT\n`;
const CASES = [
  { rule: '-A INPUT -p udp --dport 99999 -j DROP', token: '--dport 99999' },
  { rule: '-A INPUT -p tcp --dport 022 -j ACCEPT', token: '--dport 022' },
  { rule: '-A INPUT -m conntrack --ctorigsrc 10.0.0.0/33 -j ACCEPT', token: '--ctorigsrc 10.0.0.0/33' },
  { rule: '-A INPUT -j LOG --log-prefix "a-prefix-longer-than-29-bytes!"', token: '--log-prefix a-prefix' },
];

for (const variant of ['nft', 'legacy'] as const) {
  describe.skipIf(!isRoot)(`iptables-${variant}: a value iptables-restore would silently change is refused`, () => {
    let ns = '';
    let dir = '';
    let state = '';
    let live = '';
    const save = (): string =>
      inNetns(ns, `iptables-${variant}-save`, ['-c'])
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    beforeAll(() => {
      ns = createNetns(`ipt-val-${variant}`);
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-ipt-val-'));
      state = mkdtempSync(join(tmpdir(), 'fwsafe-state-'));
      inNetns(ns, `iptables-${variant}-restore`, ['-w', '5', '-c'], LIVE);
      live = save();
      expect(live).toContain('--dport 22');
    });
    afterAll(() => {
      deleteNetns(ns);
      removeStateDir(dir);
      removeStateDir(state);
    });

    for (const c of CASES) {
      it(c.rule, () => {
        const file = join(dir, 'rules.v4');
        writeFileSync(file, proposal(c.rule));
        for (const verb of [['plan'], ['apply', '--no-wait']]) {
          const r = fwsafe(['--netns', ns, '--state-dir', state, ...verb, file, '--json', '--no-probes']);
          expect(r.json?.error?.code, r.stdout + r.stderr).toBe('IPTABLES_BAD_VALUE');
          expect(r.status).toBe(9);
          expect(r.json.error.message).toContain(`${file}:4: "${c.token}`);
          expect(r.json.error.actions.length).toBeGreaterThan(0);
        }
        expect(save()).toBe(live);
      });
    }
  });
}
