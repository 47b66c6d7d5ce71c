import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns, isRoot, useNetns } from '../helpers/netns.js';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { removeStateDir } from '../helpers/state-dir.js';

const BASE_V4 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "web" -j ACCEPT
COMMIT
`;
const BASE_V6 = BASE_V4.replace('-m comment --comment "web" ', '');
const OPEN_443 = (base: string): string =>
  base.replace('COMMIT', '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT');
// Drops the SSH rule: every new login would be refused.
const LOCKOUT = BASE_V4.replace('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n', '');
const v4Input = (ns: string): string[] =>
  inNetns(ns, 'iptables-nft-save', [])
    .split('\n')
    .filter((l) => l.startsWith('-A INPUT'));

describe.skipIf(!isRoot)(
  'iptables proposals reviewed without root: plan --against an export or an iptables-save file',
  () => {
    const ns = useNetns('ipt-review');
    const state = useStateDir();
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-ipt-review-'));
      chmodSync(dir, 0o755);
      inNetns(ns.name, 'iptables-nft-restore', ['-w', '5'], BASE_V4);
      inNetns(ns.name, 'ip6tables-nft-restore', ['-w', '5'], BASE_V6);
    });
    afterEach(() => removeStateDir(dir));

    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o644 });
      return path;
    };
    const home = (): string => {
      const path = join(dir, 'home');
      mkdirSync(path, { recursive: true });
      chownSync(path, 65534, 65534);
      return path;
    };
    const asNobody = (...args: string[]) =>
      fwsafe([...args, '--json'], { asNobody: true, env: { HOME: home() }, timeoutMs: 180_000 });

    it('an export: the harmless change plans (2), the lockout blocks (5, confirmed by real packets), a v4 + v6 pair plans as one; the reviewed plan applies on the host, a drifted one is refused', async () => {
      const base = join(dir, 'base.json');
      const exported = fwsafe(['--netns', ns.name, 'export', '--out', base, '--json']);
      expect(exported.status, exported.stderr).toBe(0);
      chmodSync(base, 0o644);
      const doc = JSON.parse(readFileSync(base, 'utf8'));

      const out = join(home(), 'plan-443.json');
      const harmless = asNobody(
        'plan',
        file('rules.v4', OPEN_443(BASE_V4)),
        '--against',
        base,
        '--detailed-exitcode',
        '--out',
        out,
      );
      expect(harmless.status, harmless.stdout.slice(0, 600) + harmless.stderr).toBe(2);
      await expectContract('plan', harmless.json);
      expect(harmless.json.format).toBe('iptables');
      expect(harmless.json.base).toMatchObject({ source: 'file', hash: doc.hash });
      expect(harmless.json.netns).toBe(ns.name);
      // No phantom changes against the saved base either (the comment, the conntrack match as iptables prints them).
      expect(harmless.json.diff.rules.map((r: { kind: string; text: string }) => `${r.kind} ${r.text}`)).toEqual([
        'added -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
      ]);

      const lockout = asNobody('plan', file('lockout.v4', LOCKOUT), '--against', base, '--detailed-exitcode');
      expect(lockout.status, lockout.stdout + lockout.stderr).toBe(5);
      const login = lockout.json.findings.find(
        (f: { code: string }) => f.code.startsWith('PROBE_NEW_LOGIN') || f.code === 'SSH_NEW_LOGIN_BLOCKED',
      );
      expect(login).toMatchObject({ severity: 'error' });
      expect(login.message).toMatch(/real packets/);

      const pair = asNobody(
        'plan',
        file('pair.v4', OPEN_443(BASE_V4)),
        file('pair.v6', OPEN_443(BASE_V6)),
        '--against',
        base,
      );
      expect(pair.status, pair.stdout + pair.stderr).toBe(0);
      expect(pair.json.diff.rules.map((r: { table: string }) => r.table)).toEqual([
        'iptables-nft v4 filter',
        'iptables-nft v6 filter',
      ]);

      // On the host, as root: the reviewed plan applies what was planned.
      const applied = fwsafe([
        '--netns',
        ns.name,
        '--state-dir',
        state.path,
        'apply',
        '--plan',
        out,
        '--no-wait',
        '--timeout',
        '60',
        '--json',
      ]);
      expect(applied.status, applied.stderr).toBe(0);
      expect(v4Input(ns.name)).toContain('-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT');
      expect(fwsafe(['--netns', ns.name, '--state-dir', state.path, 'confirm', '--json']).status).toBe(0);
      // The host moved on since the export: a plan made against it is drift (8), nothing applied.
      const stale = join(home(), 'plan-stale.json');
      expect(asNobody('plan', file('stale.v4', OPEN_443(BASE_V4)), '--against', base, '--out', stale).status).toBe(0);
      const before = v4Input(ns.name);
      const drifted = fwsafe([
        '--netns',
        ns.name,
        '--state-dir',
        state.path,
        'apply',
        '--plan',
        stale,
        '--no-wait',
        '--json',
      ]);
      expect(drifted.status, drifted.stdout).toBe(8);
      expect(v4Input(ns.name)).toEqual(before);
    });

    it('an iptables-save file (nft by default, legacy with --backend); an nft listing or a save for a pair is refused, named', () => {
      const saved = file('host.v4', inNetns(ns.name, 'iptables-nft-save', ['-c']));
      const plan = asNobody('plan', file('rules.v4', OPEN_443(BASE_V4)), '--against', saved);
      expect(plan.status, plan.stdout + plan.stderr).toBe(0);
      expect(plan.json.base.source).toBe('file');
      expect(plan.json.diff.rules).toHaveLength(1);
      expect(plan.json.transaction.apply[0].program).toBe('iptables-nft-restore');

      const legacy = asNobody(
        'plan',
        file('rules.v4', OPEN_443(BASE_V4)),
        '--against',
        saved,
        '--backend',
        'iptables-legacy',
      );
      expect(legacy.status, legacy.stdout + legacy.stderr).toBe(0);
      expect(legacy.json.transaction.apply[0].program).toBe('iptables-legacy-restore');
      expect(legacy.json.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);

      // As root, a stored version is a base too.
      const snap = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'snapshot', '--json']);
      expect(snap.status, snap.stderr).toBe(0);
      const versioned = fwsafe([
        '--netns',
        ns.name,
        '--state-dir',
        state.path,
        'plan',
        file('rules.v4', OPEN_443(BASE_V4)),
        '--against',
        String(snap.json.version.id),
        '--json',
        '--no-probes',
      ]);
      expect(versioned.status, versioned.stderr).toBe(0);
      expect(versioned.json.base).toMatchObject({ source: 'version', ref: String(snap.json.version.id) });
      expect(versioned.json.diff.rules).toHaveLength(1);

      const listing = file('host.nft', 'table inet mine {\n}\n');
      const nft = asNobody('plan', file('rules.v4', OPEN_443(BASE_V4)), '--against', listing);
      expect(nft.status).toBe(9);
      expect(nft.json.error.code).toBe('BASE_NOT_IPTABLES');
      const pair = asNobody('plan', file('a.v4', BASE_V4), file('b.v6', BASE_V6), '--against', saved);
      expect(pair.status).toBe(9);
      expect(pair.json.error.message).toMatch(/needs both: plan it against an export/);
    });
  },
);
