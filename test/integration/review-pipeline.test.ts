import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, liveRuleset, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { AS_NOBODY, BIN, ROOT, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { removeStateDir } from '../helpers/state-dir.js';

const BASE = `table inet mine {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif "lo" accept
    tcp dport 22 accept
  }
}
`;
const HARMLESS = 'add rule inet mine input tcp dport 443 accept\n';
const NOOP = 'add table inet mine\n';
// Drops the SSH rule: every new login would be refused.
const LOCKOUT =
  'flush chain inet mine input\nadd rule inet mine input ct state established,related accept\nadd rule inet mine input tcp dport 443 accept\n';
const SCRIPT = join(ROOT, 'docs', 'examples', 'review-pipeline', 'plan-change.sh');

describe.skipIf(!isRoot)('change review: export on the host, plan in CI without root, apply the reviewed plan', () => {
  const ns = useNetns('review');
  const state = useStateDir();
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-review-'));
    chmodSync(dir, 0o755);
    loadRuleset(ns.name, BASE);
  });
  afterEach(() => removeStateDir(dir));

  const ci = (name: string): string => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    chownSync(path, 65534, 65534);
    return path;
  };
  const proposal = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o644 });
    return path;
  };
  const asNobody = (cmd: string, args: string[]) =>
    spawnSync('setpriv', [...AS_NOBODY, cmd, ...args], {
      encoding: 'utf8',
      env: { ...process.env, HOME: ci('home'), NO_COLOR: '1', FWSAFE: BIN },
    });

  it('0 / 2 / 5 for a no-op, a harmless change and a lockout; the harmless plan applies, a drifted host refuses it', async () => {
    const base = join(dir, 'base.json');
    const exported = fwsafe(['--netns', ns.name, 'export', '--out', base, '--json']);
    expect(exported.status, exported.stderr).toBe(0);
    await expectContract('export', exported.json);
    chmodSync(base, 0o644);
    const doc = JSON.parse(readFileSync(base, 'utf8'));
    expect(doc).toMatchObject({ format: 'fwsafe-export', netns: ns.name, hash: exported.json.hash });
    expect(doc.nft).toContain('tcp dport 22 accept');

    const cases: [string, string, number][] = [
      ['noop', NOOP, 0],
      ['harmless', HARMLESS, 2],
      ['lockout', LOCKOUT, 5],
    ];
    for (const [name, text, expected] of cases) {
      const out = ci(`out-${name}`);
      const r = asNobody(SCRIPT, [base, proposal(`${name}.nft`, text), out]);
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).toBe(expected);
      const md = readFileSync(join(out, 'plan.md'), 'utf8');
      expect(md.startsWith(`## fwsafe plan: \`${join(dir, `${name}.nft`)}\``)).toBe(true);
      expect(md).not.toContain('Plan written to');
      const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
      await expectContract('plan', plan);
      expect(plan.base.hash).toBe(doc.hash);
      if (name === 'lockout') {
        // The real-packet probes ran without root, in the CI job's own user namespace.
        // One finding per problem: the analysis' lockout, confirmed by the probes' real packets.
        const login = plan.findings.find((f: { code: string }) => f.code === 'SSH_NEW_LOGIN_BLOCKED');
        expect(login.evidence).toBe('analysis+probe');
        expect(md).toMatch(/SSH_NEW_LOGIN_BLOCKED.*Confirmed by real packets/);
      }
    }
    // --must-allow is probed with --against, not ignored.
    const must = asNobody(process.execPath, [
      BIN,
      'plan',
      proposal('m.nft', LOCKOUT),
      '--against',
      base,
      '--must-allow',
      'tcp/22 from 198.51.100.1',
      '--json',
    ]);
    expect(JSON.parse(must.stdout).findings.map((f: { code: string }) => f.code)).toContain('PROBE_MUST_ALLOW_FAILED');

    // On the host: the reviewed harmless plan applies exactly what was planned.
    const reviewed = join(dir, 'out-harmless', 'plan.json');
    const applied = fwsafe([
      '--netns',
      ns.name,
      '--state-dir',
      state.path,
      'apply',
      '--plan',
      reviewed,
      '--no-wait',
      '--timeout',
      '60',
      '--json',
    ]);
    expect(applied.status, applied.stderr).toBe(0);
    expect(liveRuleset(ns.name)).toContain('tcp dport 443 accept');
    const confirmed = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'confirm', '--json']);
    expect(confirmed.status, confirmed.stderr).toBe(0);

    // The live ruleset moved on since the export: the same kind of reviewed plan is refused (drift), nothing applied.
    const before = liveRuleset(ns.name);
    const drifted = fwsafe([
      '--netns',
      ns.name,
      '--state-dir',
      state.path,
      'apply',
      '--plan',
      join(dir, 'out-noop', 'plan.json'),
      '--no-wait',
      '--timeout',
      '60',
      '--json',
    ]);
    expect(drifted.status, drifted.stdout).toBe(8);
    expect(drifted.json.error.code).toBe('DRIFT');
    expect(liveRuleset(ns.name)).toBe(before);
    expect(nft(ns.name, ['list', 'tables'])).toBe('table inet mine\n');
  });

  it('garbage and wrong-format bases are refused by plan --against as uid 65534, each with its code (exit 9)', () => {
    const base = join(dir, 'base.json');
    expect(fwsafe(['--netns', ns.name, 'export', '--out', base, '--json']).status).toBe(0);
    const exported = readFileSync(base, 'utf8');
    const bad = (name: string, content: string | Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o644 });
      return path;
    };
    mkdirSync(join(dir, 'a-directory'), { mode: 0o755 });
    const cases: [string, string][] = [
      [bad('notes.txt', 'hello, this is not a ruleset\n'), 'BASE_NOT_A_RULESET'],
      [
        bad('saved.v4', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n'),
        'BASE_IPTABLES_SAVE',
      ],
      [bad('binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), 'BASE_BINARY'],
      [bad('other.json', '{"hello": 1}'), 'BASE_BAD_EXPORT'],
      [bad('broken.json', exported.slice(0, exported.length / 2)), 'BASE_BAD_EXPORT'],
      [bad('edited.json', exported.replace('dport 22', 'dport 23')), 'BASE_EXPORT_TAMPERED'],
      [join(dir, 'a-directory'), 'AGAINST_NOT_A_FILE'],
      [join(dir, 'missing.json'), 'AGAINST_NOT_FOUND'],
    ];
    const change = proposal('harmless.nft', HARMLESS);
    for (const [path, code] of cases) {
      const r = asNobody(process.execPath, [BIN, 'plan', change, '--against', path, '--detailed-exitcode', '--json']);
      expect(r.status, `${code}: ${r.stdout}${r.stderr}`).toBe(9);
      expect(JSON.parse(r.stdout).error.code, path).toBe(code);
    }
    expect(cases.length).toBeGreaterThanOrEqual(6);
  });
});
