// One gate for every change: apply FILE, apply --plan (a plan made elsewhere, as nobody) and
// rollback VERSION are all planned on the host against the live ruleset, with the host's session.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { inNetns, isRoot, liveRuleset, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { alive, killWatchdog, pendingWatchdog, waitFor, waitForRuleset } from '../e2e/state-probe.js';
import { sha256 } from '../../src/snapshot/hash.js';
import { removeStateDir } from '../helpers/state-dir.js';

const BASE = `table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif "lo" accept
    tcp dport 22 accept
  }
}
`;
// The same table with SSH moved to 2222: every new login to 22 is dropped.
const LOCKED_TABLE = BASE.replace('tcp dport 22 accept', 'tcp dport 2222 accept');
const LOCKOUT = `table inet filter\ndelete table inet filter\n${LOCKED_TABLE}`;
const SSH = { SSH_CONNECTION: '203.0.113.7 50000 203.0.113.1 22' };
const locked = (t: string): boolean => t.includes('dport 2222');

describe.skipIf(!isRoot)('one gate for apply FILE, apply --plan and rollback VERSION', () => {
  const ns = useNetns('gate');
  const state = useStateDir();
  const cli = (args: string[], env: Record<string, string> = SSH) =>
    fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args], { env, timeoutMs: 120_000 });
  let work = '';
  afterEach(() => {
    killWatchdog(state.path);
    if (work) rmSync(work, { recursive: true, force: true });
    work = '';
  });
  const workDir = (): string => {
    work = mkdtempSync(join(tmpdir(), 'fwsafe-gate-'));
    chmodSync(work, 0o777);
    return work;
  };
  const reset = (): void => loadRuleset(ns.name, `flush ruleset\n${BASE}`);
  const blockingCodes = (r: { json: any }): string[] =>
    (r.json.error.details.findings as { code: string }[]).map((f) => f.code).sort();

  it('the same lockout through all three paths: exit 5 with the same finding, nothing changed; --force applies each under the watchdog', async () => {
    const dir = workDir();
    const proposal = join(dir, 'lockout.nft');
    writeFileSync(proposal, LOCKOUT, { mode: 0o644 });
    // Version N holds the lockout (loaded behind fwsafe's back, recorded by a snapshot), then the base returns.
    loadRuleset(ns.name, `flush ruleset\n${LOCKED_TABLE}`);
    const snap = cli(['snapshot', '--json', '-m', 'the lockout']);
    expect(snap.status, snap.stderr).toBe(0);
    const lockedVersion = String(snap.json.version.id);
    expect(lockedVersion).toMatch(/^\d+$/);
    reset();
    const before = liveRuleset(ns.name);
    // The plan is made elsewhere, as nobody, against a saved listing: no SSH session, no probes there.
    writeFileSync(join(dir, 'base.nft'), nft(ns.name, ['list', 'ruleset']), { mode: 0o644 });
    const planPath = join(dir, 'lock.json');
    const made = spawnSync(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        process.execPath,
        BIN,
        'plan',
        proposal,
        '--against',
        join(dir, 'base.nft'),
        '--out',
        planPath,
        '--json',
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH!, HOME: dir, NO_COLOR: '1' },
        timeout: 60_000,
      },
    );
    expect(made.status, made.stderr + made.stdout).toBe(0);
    expect(JSON.parse(readFileSync(planPath, 'utf8')).base.source).toBe('file');

    const viaFile = cli(['apply', proposal, '--no-wait', '--json']);
    const viaPlan = cli(['apply', '--plan', planPath, '--no-wait', '--json']);
    const viaVersion = cli(['rollback', lockedVersion, '--no-wait', '--json']);
    for (const r of [viaFile, viaPlan, viaVersion]) {
      expect(r.status, r.stdout + r.stderr).toBe(5);
      expect(r.json.error.code).toBe('BLOCKED_BY_FINDING');
      expect(liveRuleset(ns.name)).toBe(before);
    }
    expect(blockingCodes(viaFile)).toContain('SSH_NEW_LOGIN_BLOCKED');
    // The plan file's own findings (made as nobody, without a session) are shown as history; the host's decide.
    const text = cli(['apply', '--plan', planPath, '--no-wait']);
    expect(text.status).toBe(5);
    expect(text.stderr).toMatch(
      /Findings recorded in the plan file \(made .* against the file .*base\.nft\): history only/,
    );
    expect(text.stderr.indexOf('ERROR SSH_NEW_LOGIN_BLOCKED')).toBeLessThan(
      text.stderr.indexOf('Findings recorded in the plan file'),
    );
    expect(blockingCodes(viaPlan)).toEqual(blockingCodes(viaFile));
    expect(blockingCodes(viaVersion)).toEqual(blockingCodes(viaFile));
    expect(existsSync(join(state.path, 'lock'))).toBe(false);

    // --force: each applied under a watchdog, then rolled back.
    for (const args of [
      ['apply', proposal],
      ['apply', '--plan', planPath],
      ['rollback', lockedVersion],
    ]) {
      const r = cli([...args, '--force', '--no-wait', '--timeout', '60', '--json']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(locked(liveRuleset(ns.name))).toBe(true);
      expect(alive(pendingWatchdog(state.path))).toBe(true);
      expect(cli(['rollback', '--json']).status).toBe(0);
      expect(liveRuleset(ns.name)).toBe(before);
    }
  });

  it('a tampered plan (proposal edited, hash left) is refused with exit 12; nothing changes', async () => {
    reset();
    const dir = workDir();
    writeFileSync(join(dir, 'ok.nft'), 'table inet mine {\n  chain c {\n  }\n}\n');
    const planPath = join(dir, 'plan.json');
    expect(cli(['plan', join(dir, 'ok.nft'), '--out', planPath, '--no-probes', '--json']).status).toBe(0);
    const plan = JSON.parse(readFileSync(planPath, 'utf8'));
    plan.proposal.text = LOCKOUT;
    writeFileSync(planPath, JSON.stringify(plan));
    const before = liveRuleset(ns.name);
    const r = cli(['apply', '--plan', planPath, '--no-wait', '--force', '--json']);
    expect(r.status).toBe(12);
    expect(r.json.error.code).toBe('PLAN_TAMPERED');
    await expectContract('error', r.json);
    expect(liveRuleset(ns.name)).toBe(before);
    expect(existsSync(join(state.path, 'pending.json'))).toBe(false);
  });

  it('a plan whose rollback script was edited: the rollback is built on the host (no backdoor, the untouched table intact)', async () => {
    reset();
    loadRuleset(ns.name, 'table ip untouched {\n  chain c {\n    counter\n  }\n}\n');
    const dir = workDir();
    writeFileSync(join(dir, 'mine.nft'), 'table inet mine {\n  chain c {\n  }\n}\n');
    const planPath = join(dir, 'plan.json');
    expect(cli(['plan', join(dir, 'mine.nft'), '--out', planPath, '--no-probes', '--json']).status).toBe(0);
    const plan = JSON.parse(readFileSync(planPath, 'utf8'));
    plan.rollback.nftScript =
      'delete table ip untouched\ntable inet backdoor {\n  chain input {\n    type filter hook input priority -10; policy accept;\n    tcp dport 31337 accept\n  }\n}\n';
    writeFileSync(planPath, JSON.stringify(plan));
    const before = liveRuleset(ns.name);
    const r = cli(['apply', '--plan', planPath, '--no-wait', '--timeout', '3', '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(liveRuleset(ns.name)).toContain('table inet mine');
    const pid = pendingWatchdog(state.path);
    expect(await waitForRuleset(ns.name, (t) => !t.includes('table inet mine'), 20_000)).not.toBeNull();
    expect(await waitFor(() => !alive(pid), 10_000)).toBe(true);
    const after = liveRuleset(ns.name);
    expect(after).not.toContain('backdoor');
    expect(after).toContain('table ip untouched');
    expect(after).toBe(before);
  });

  it('rollback N restores version N in the tables fwsafe manages; other owners untouched; diff N live: no difference, the docker table listed, not compared; nothing differs is exit 0', async () => {
    reset();
    const snap = cli(['snapshot', '--json']);
    const n = String(snap.json.version.id);
    const dir = workDir();
    writeFileSync(join(dir, 'mine.nft'), 'table inet mine {\n  chain c {\n  }\n}\n');
    expect(cli(['apply', join(dir, 'mine.nft'), '--no-wait', '--json']).status).toBe(0);
    expect(cli(['confirm', '--json']).status).toBe(0);
    expect(liveRuleset(ns.name)).toContain('table inet mine');
    // A docker-like iptables-nft table appears after N: docker's own chain, and its jump in a built-in chain.
    const xt = (...args: string[]) => inNetns(ns.name, 'iptables-nft', ['-w', '5', '-t', 'nat', ...args]);
    xt('-N', 'DOCKER');
    xt('-A', 'DOCKER', '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '172.17.0.2:80');
    xt('-A', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DOCKER');
    const docker = nft(ns.name, ['list', 'table', 'ip', 'nat']);
    const dockerSave = (): string =>
      inNetns(ns.name, 'iptables-nft-save', ['-t', 'nat'])
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    const dockerRules = dockerSave();
    expect(dockerRules).toContain('-j DOCKER');
    const notCompared = [
      { table: 'ip nat', owner: 'iptables-nft-managed', chainOwners: ['docker'], iptablesNft: true, side: 'to' },
    ];
    // Before the rollback, fwsafe's own later table is a difference; docker's is listed apart, not compared.
    const before = cli(['diff', n, 'live', '--json']);
    expect(before.status, before.stdout + before.stderr).toBe(0);
    await expectContract('diff', before.json);
    expect(before.json.identical).toBe(false);
    expect(before.json.unified).toContain('table inet mine');
    expect(before.json.unified).not.toMatch(/DOCKER|table ip nat/);
    expect(before.json.notCompared).toEqual(notCompared);
    const r = cli(['rollback', n, '--no-wait', '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    await expectContract('rollback', r.json);
    expect(r.json.deleted).toEqual(['inet mine']);
    expect(r.json.foreign).toContain('ip nat');
    expect(liveRuleset(ns.name)).not.toContain('table inet mine');
    expect(nft(ns.name, ['list', 'table', 'ip', 'nat'])).toBe(docker);
    expect(cli(['confirm', '--json']).status).toBe(0);
    // With the docker-like table still there, `diff N live` shows no difference in the tables fwsafe manages.
    const d = cli(['diff', n, 'live', '--json']);
    expect(d.status, d.stdout + d.stderr).toBe(0);
    await expectContract('diff', d.json);
    expect(d.json.identical, d.stdout).toBe(true);
    expect(d.json.unified).toBe('');
    expect(d.json.notCompared).toEqual(notCompared);
    const dt = cli(['diff', n]);
    expect(dt.status, dt.stderr).toBe(0);
    expect(dt.stdout).toContain(`No difference between ${n} and live in the tables fwsafe manages.`);
    expect(dt.stdout).toMatch(
      /Not compared: a table of other owners, not managed by fwsafe \(in live but not in version \d+/,
    );
    expect(dt.stdout).toMatch(/^ {2}ip nat \(iptables-nft-managed; chains of docker; /m);
    // --all compares every table: docker's is a difference then.
    const all = cli(['diff', n, 'live', '--all', '--json']);
    expect(all.json.identical).toBe(false);
    expect(all.json.unified).toContain('DOCKER');
    expect(all.json.notCompared).toEqual([]);
    expect(nft(ns.name, ['list', 'table', 'ip', 'nat'])).toBe(docker);
    expect(dockerSave()).toBe(dockerRules);
    const again = cli(['rollback', n, '--no-wait', '--json']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.json.mode).toBe('nothing');
    const text = cli(['rollback', n, '--no-wait']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Nothing differs/);
    expect(text.stderr).not.toMatch(/error/i);
    expect(nft(ns.name, ['list', 'table', 'ip', 'nat'])).toBe(docker);
  });

  it('a proposal swapped on disk while the probe namespace exists changes nothing', async () => {
    reset();
    const dir = workDir();
    const proposal = join(dir, 'p.nft');
    writeFileSync(proposal, LOCKOUT);
    const child = spawn(
      process.execPath,
      [BIN, '--netns', ns.name, '--state-dir', state.path, 'plan', proposal, '--json'],
      { env: { ...process.env, ...SSH, NO_COLOR: '1' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const mine = (n: string): boolean => n.startsWith(`fwsafe-probe-${child.pid}-`);
    const swapped = await waitFor(
      () => {
        if (!readdirSync('/run/netns').some(mine)) return false;
        writeFileSync(proposal, 'table inet harmless {\n}\n');
        return true;
      },
      60_000,
      5,
    );
    expect(swapped).toBe(true);
    expect(await exited).toBe(0);
    const plan = JSON.parse(out);
    expect(plan.proposal.sha256).toBe(sha256(LOCKOUT));
    expect(
      plan.findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string }) => f.code),
    ).toContain('SSH_NEW_LOGIN_BLOCKED');
    expect(
      plan.findings.some(
        (f: { code: string; severity: string; message: string }) =>
          f.severity === 'error' && /real packets/.test(f.message),
      ),
    ).toBe(true);
  });
});

const ADMIN_SET = `table inet filter {
  set admins { type ipv4_addr; elements = { 192.0.2.10 } }
  chain input { type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif "lo" accept
    ip saddr @admins tcp dport 22 accept
    tcp dport 80 accept
  }
}
`;
const replace = (body: string): string => `table inet filter\ndelete table inet filter\n${body}`;

describe.skipIf(!isRoot)('findings compare before with after; whose logins count', () => {
  const ns = useNetns('who');
  const plan = (file: string, env: Record<string, string> = {}, ...extra: string[]) => {
    const r = fwsafe(['--netns', ns.name, 'plan', file, '--json', ...extra], {
      env: { SSH_CONNECTION: '', ...env },
      timeoutMs: 120_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return r.json;
  };
  const errors = (p: any): string[] =>
    p.findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string }) => f.code);
  let dir = '';
  afterEach(() => {
    if (dir) removeStateDir(dir);
  });

  it('from a console, SSH only from an admin set: an unrelated removal does not block; removing the admin does', () => {
    loadRuleset(ns.name, ADMIN_SET);
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-who-'));
    const unrelated = join(dir, 'unrelated.nft');
    writeFileSync(unrelated, replace(ADMIN_SET.replace('    tcp dport 80 accept\n', '')));
    const noAdmin = join(dir, 'no-admin.nft');
    writeFileSync(noAdmin, replace(ADMIN_SET.replace('elements = { 192.0.2.10 } ', '')));
    const a = plan(unrelated);
    expect(errors(a)).toEqual([]);
    expect(a.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(
      /can log in today \(192\.0\.2\.10\)/,
    );
    const b = plan(noAdmin);
    expect(errors(b)).toEqual(['SSH_NEW_LOGIN_BLOCKED']);
    const blocked = b.findings.find((f: { severity: string }) => f.severity === 'error');
    expect(blocked.message).toMatch(/192\.0\.2\.10 → .*dropped/);
    expect(blocked.evidence).toMatch(/probe/);
    // --admin-address: the address given decides (an address already blocked today is not this change's doing).
    expect(errors(plan(noAdmin, {}, '--admin-address', '192.0.2.10'))).toEqual(['SSH_NEW_LOGIN_BLOCKED']);
    expect(errors(plan(noAdmin, { FWSAFE_ADMIN_ADDRESS: '203.0.113.50' }))).toEqual([]);
    const bad = fwsafe(['--netns', ns.name, 'plan', noAdmin, '--json', '--admin-address', 'not-an-ip']);
    expect(bad.status).toBe(9);
    expect(bad.json.error.code).toBe('BAD_ADMIN_ADDRESS');
  });

  it('IPv6: dropping neighbour discovery blocks an admin on IPv6, and the probe says why', () => {
    const base = `table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
    tcp dport 22 accept
  }
}
`;
    loadRuleset(ns.name, base);
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-nd-'));
    const noNd = join(dir, 'no-nd.nft');
    writeFileSync(
      noNd,
      replace(base.replace('    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n', '')),
    );
    const p = plan(noNd, { SSH_CONNECTION: '2001:db8:5::10 50000 2001:db8:1::1 22' });
    expect(errors(p)).toEqual(['ICMPV6_BLOCKED']);
    // One finding for one problem: the ND drop, confirmed by the login and the session that failed for it.
    const nd = p.findings.find((f: { code: string }) => f.code === 'ICMPV6_BLOCKED');
    expect(nd.evidence).toBe('analysis+probe');
    expect(nd.message).toMatch(/a new SSH login 2001:db8:5::10 → 2001:db8:1::1:22 was dropped/);
    expect(nd.message).toMatch(/neighbour discovery for 2001:db8:1::1 failed/);
    expect(nd.message).toMatch(/established SSH session .* was dropped/);
  });

  it('IPv6 in use: removing every IPv6 SSH path, planned from an IPv4 session, is reported and blocks', () => {
    const base = BASE.replace(
      '    tcp dport 22 accept\n',
      '    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n    tcp dport 22 accept\n',
    );
    loadRuleset(ns.name, base);
    inNetns(ns.name, 'ip', ['addr', 'add', '2001:db8:1::1/64', 'dev', 'lo']);
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-v6-'));
    const v4only = join(dir, 'v4only.nft');
    writeFileSync(v4only, replace(base.replace('tcp dport 22 accept', 'meta nfproto ipv4 tcp dport 22 accept')));
    const p = plan(v4only, SSH);
    const v6 = p.findings.filter(
      (f: { severity: string; message: string }) => f.severity === 'error' && /IPv6/.test(f.message),
    );
    expect(v6.map((f: { code: string }) => f.code)).toEqual(['SSH_NEW_LOGIN_BLOCKED']);
    // Both families probed: the IPv6 logins that work today (the IPv6 stand-in) are shut out, the session's IPv4 is not.
    expect(v6[0].evidence).toBe('analysis+probe');
    expect(v6[0].message).toMatch(
      /2001:db8:77::77 → 2001:db8:1::1:22 was dropped.*still allowed: a new SSH login 203\.0\.113\.7 → 203\.0\.113\.1:22/,
    );
    expect(errors(p)).not.toContain('PROBE_SESSION_CUT');
  });
});

describe.skipIf(!isRoot)('honest flow specs: UDP probed for real, DNAT followed', () => {
  const ns = useNetns('flows');
  let dir = '';
  afterEach(() => {
    if (dir) removeStateDir(dir);
  });

  it('--must-deny udp/53 with a responder fails; tcp/8080 on a DNATed port that answers fails and names the NAT rule', () => {
    loadRuleset(
      ns.name,
      `table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    tcp dport 8080 dnat to 172.17.0.2:80
  }
}
table inet filter {
  chain input { type filter hook input priority 0; policy drop;
    ct state established,related accept
    tcp dport 22 accept
    udp dport 53 accept
  }
  chain forward { type filter hook forward priority 0; policy accept;
  }
}
`,
    );
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-flows-'));
    const p = join(dir, 'p.nft');
    writeFileSync(p, 'add rule inet filter input tcp dport 443 accept\n');
    const r = fwsafe(
      [
        '--netns',
        ns.name,
        'plan',
        p,
        '--json',
        '--must-deny',
        'udp/53',
        '--must-deny',
        'tcp/8080',
        '--must-deny',
        'udp/54',
        '--must-allow',
        'udp/53',
      ],
      { env: SSH, timeoutMs: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const failed = r.json.findings
      .filter((f: { code: string }) => f.code === 'PROBE_MUST_DENY_FAILED')
      .map((f: { message: string }) => f.message);
    expect(failed).toHaveLength(2);
    expect(failed.find((m: string) => m.startsWith('Probe: udp/53'))).toMatch(
      /was allowed, decided by inet filter input: udp dport 53 accept/,
    );
    expect(failed.find((m: string) => m.startsWith('Probe: tcp/8080'))).toMatch(
      /was allowed, decided by inet filter forward: policy accept.*followed the NAT: ip nat prerouting: tcp dport 8080 dnat to 172\.17\.0\.2:80/,
    );
    expect(r.json.findings.map((f: { code: string }) => f.code)).not.toContain('PROBE_MUST_ALLOW_FAILED');
  });
});
