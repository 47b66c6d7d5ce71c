import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { createNetns, deleteNetns, inNetns, isRoot } from '../helpers/netns.js';
import { killWatchdog, versionRecord, waitFor } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

const AGENT = join(ROOT, 'dist', 'src', 'probes', 'agent.js');
const HOST4 = '10.215.0.1';
const CLIENT4 = '10.215.0.2';
const HOST6 = 'fd00:215::1';
const CLIENT6 = 'fd00:215::2';

const base = (icmp: string) => `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
${icmp}
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;
const BASE_V4 = base('-A INPUT -p icmp -j ACCEPT');
const BASE_V6 = base('-A INPUT -p ipv6-icmp -j ACCEPT');
const open443 = (text: string): string =>
  text.replace('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '$&\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT');

const save = (ns: string, cmd: 'iptables' | 'ip6tables'): string =>
  inNetns(ns, `${cmd}-nft-save`, [])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1'))
    .join('\n');
const inputChain = (text: string): string[] => text.split('\n').filter((l) => /^(:INPUT |-A INPUT )/.test(l));

describe.skipIf(!isRoot)('a v4 + v6 pair of iptables-restore files as one change (plan A B, apply A B)', () => {
  const state = useStateDir();
  let host = '';
  let client = '';
  let dir = '';
  const children: ChildProcess[] = [];
  const cli = (...args: string[]) =>
    fwsafe(['--netns', host, '--state-dir', state.path, ...args], { timeoutMs: 180_000 });
  beforeEach(async () => {
    host = createNetns('pair-h');
    client = createNetns('pair-c');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-pair-'));
    const peer = `fwpr${process.pid % 100000}`;
    inNetns(host, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', peer, 'netns', client]);
    inNetns(host, 'ip', ['addr', 'add', `${HOST4}/24`, 'dev', 'eth0']);
    inNetns(host, 'ip', ['addr', 'add', `${HOST6}/64`, 'dev', 'eth0', 'nodad']);
    inNetns(host, 'ip', ['link', 'set', 'eth0', 'up']);
    inNetns(client, 'ip', ['addr', 'add', `${CLIENT4}/24`, 'dev', peer]);
    inNetns(client, 'ip', ['addr', 'add', `${CLIENT6}/64`, 'dev', peer, 'nodad']);
    inNetns(client, 'ip', ['link', 'set', peer, 'up']);
    inNetns(host, 'iptables-nft-restore', ['-w', '5'], BASE_V4);
    inNetns(host, 'ip6tables-nft-restore', ['-w', '5'], BASE_V6);
    const listener = spawn('ip', ['netns', 'exec', host, process.execPath, AGENT, 'listen', '443'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(listener);
    let out = '';
    listener.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await waitFor(() => out.includes('ready'), 5000)).toBe(true);
  });
  afterEach(() => {
    killWatchdog(state.path);
    for (const c of children.splice(0)) c.kill('SIGKILL');
    deleteNetns(host);
    deleteNetns(client);
    removeStateDir(dir);
  });
  const connect = (src: string, dst: string): string =>
    inNetns(client, process.execPath, [AGENT, 'connect', src, dst, '443', '1500']).trim();

  it('one plan, one change, one rollback, one version; confirm persists both boot files', async () => {
    const [v4, v6] = [join(dir, 'rules.v4'), join(dir, 'rules.v6')];
    writeFileSync(v4, open443(BASE_V4));
    writeFileSync(v6, open443(BASE_V6));
    expect(connect(CLIENT4, HOST4)).toBe('dropped');
    expect(connect(CLIENT6, HOST6)).toBe('dropped');

    // Either order: one plan with both families' diffs and one transaction per family.
    const planFile = join(dir, 'pair-plan.json');
    const plan = cli('plan', v6, v4, '--json', '--must-allow', 'tcp/443', '--out', planFile);
    expect(plan.status, plan.stderr).toBe(0);
    await expectContract('plan', plan.json);
    expect(plan.json.proposal.path).toBe(`${v4} + ${v6}`);
    expect(plan.json.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
    expect(plan.json.diff.rules.map((r: { table: string; text: string }) => `${r.table}: ${r.text}`)).toEqual([
      'iptables-nft v4 filter: -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
      'iptables-nft v6 filter: -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
    ]);
    expect(plan.json.transaction.apply.map((s: { program: string }) => s.program)).toEqual([
      'iptables-nft-restore',
      'ip6tables-nft-restore',
    ]);
    expect(plan.json.touchedTables.map((t: { family: string; name: string }) => `${t.family} ${t.name}`)).toEqual([
      'ip filter',
      'ip6 filter',
    ]);

    // Unconfirmed (the reviewed plan file, replanned by the gate as one change): both families live, then one rollback restores both.
    const before = [save(host, 'iptables'), save(host, 'ip6tables')];
    const applied = cli('apply', '--plan', planFile, '--no-wait', '--json', '--timeout', '60');
    expect(applied.status, applied.stderr).toBe(0);
    expect(connect(CLIENT4, HOST4)).toBe('accepted');
    expect(connect(CLIENT6, HOST6)).toBe('accepted');
    const rolled = cli('rollback', '--json');
    expect(rolled.status, rolled.stderr).toBe(0);
    expect([save(host, 'iptables'), save(host, 'ip6tables')]).toEqual(before);
    expect(versionRecord(state.path, applied.json.versionId).change).toMatchObject({ state: 'rolled-back' });
    expect(connect(CLIENT6, HOST6)).toBe('dropped');
    // The watchdog's deadline restores both families too (one stored rollback, two restores).
    const timed = cli('apply', v4, v6, '--no-wait', '--json', '--timeout', '4');
    expect(timed.status, timed.stderr).toBe(0);
    expect(
      await waitFor(() => versionRecord(state.path, timed.json.versionId).change.state === 'rolled-back', 30_000, 100),
    ).toBe(true);
    expect(versionRecord(state.path, timed.json.versionId).change).toMatchObject({
      rollbackReason: 'timeout',
      overwritten: [],
    });
    expect([save(host, 'iptables'), save(host, 'ip6tables')]).toEqual(before);

    // Confirmed with --persist NAME.v4: NAME.v4 and NAME.v6 written, each reloads to what is live.
    const persist = join(dir, 'boot.v4');
    const kept = cli('apply', v4, v6, '--no-wait', '--json', '--timeout', '60', '--persist', persist);
    expect(kept.status, kept.stderr).toBe(0);
    const confirmed = fwsafe(['--state-dir', state.path, 'confirm', '--json'], {
      env: { SSH_CONNECTION: `${CLIENT4} 50000 ${HOST4} 22` },
    });
    expect(confirmed.status, confirmed.stderr).toBe(0);
    expect(confirmed.json.persistedTo).toBe(`${persist}, ${join(dir, 'boot.v6')}`);
    const fresh = createNetns('pair-p');
    try {
      inNetns(fresh, 'iptables-nft-restore', ['-w', '5'], readFileSync(persist, 'utf8'));
      inNetns(fresh, 'ip6tables-nft-restore', ['-w', '5'], readFileSync(join(dir, 'boot.v6'), 'utf8'));
      expect(inputChain(save(fresh, 'iptables'))).toEqual(inputChain(save(host, 'iptables')));
      expect(inputChain(save(fresh, 'ip6tables'))).toEqual(inputChain(save(host, 'ip6tables')));
      expect(inputChain(save(fresh, 'ip6tables'))).toContain('-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT');
    } finally {
      deleteNetns(fresh);
    }
    // One version for the change, whose record names both files' restores.
    const rec = versionRecord(state.path, kept.json.versionId);
    expect(rec.change.state).toBe('confirmed');
  });

  it('refused, nothing applied: two files of one family, an nft file in a pair, --family with a pair, a persist path that cannot be paired', () => {
    const [v4, v6, other4, nft] = ['rules.v4', 'rules.v6', 'more.v4', 'x.nft'].map((n) => join(dir, n)) as [
      string,
      string,
      string,
      string,
    ];
    writeFileSync(v4, open443(BASE_V4));
    writeFileSync(v6, open443(BASE_V6));
    writeFileSync(other4, BASE_V4);
    writeFileSync(nft, 'table inet x {\n}\n');
    const before = [save(host, 'iptables'), save(host, 'ip6tables')];
    const same = cli('plan', v4, other4, '--json', '--no-probes');
    expect(same.status).toBe(9);
    expect(same.json.error.code).toBe('IPTABLES_PAIR');
    expect(same.json.error.message).toMatch(/both IPv4 files/);
    const mixed = cli('apply', v4, nft, '--json', '--no-wait', '--no-probes');
    expect(mixed.status).toBe(9);
    expect(mixed.json.error.message).toMatch(/x\.nft is .*nft.*only as iptables-restore input/);
    const fam = cli('plan', v4, v6, '--json', '--no-probes', '--family', 'v4');
    expect(fam.status).toBe(9);
    expect(fam.json.error.message).toMatch(/--family v4 names one family/);
    const badPersist = cli('apply', v4, v6, '--json', '--no-wait', '--no-probes', '--persist', join(dir, 'boot.rules'));
    expect(badPersist.status).toBe(9);
    expect(badPersist.json.error.message).toMatch(/writes two files/);
    // A v6 line in the v4 file of a pair is named in that file.
    writeFileSync(other4, `${BASE_V4.replace('COMMIT', `-A INPUT -s ${CLIENT6} -j ACCEPT\nCOMMIT`)}`);
    const wrong = cli('plan', other4, v6, '--json', '--no-probes');
    expect(wrong.status).toBe(9);
    expect(wrong.json.error.message).toContain(`${other4}:9`);
    expect([save(host, 'iptables'), save(host, 'ip6tables')]).toEqual(before);
  });
});
