import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, inNetns, isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { fwsafe } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { removeStateDir } from '../helpers/state-dir.js';

describe.skipIf(!isRoot)("fwsafe flows: the host's live flows, listeners and declared flows", () => {
  let host = '';
  let client = '';
  let dir = '';
  const children: ChildProcess[] = [];
  beforeEach(() => {
    host = createNetns('flh');
    client = createNetns('flc');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-flows-'));
    inNetns(host, 'ip', ['link', 'add', 'fl0', 'type', 'veth', 'peer', 'name', 'fl1', 'netns', client]);
    inNetns(host, 'ip', ['addr', 'add', '10.66.0.1/24', 'dev', 'fl0']);
    inNetns(client, 'ip', ['addr', 'add', '10.66.0.2/24', 'dev', 'fl1']);
    inNetns(host, 'ip', ['link', 'set', 'fl0', 'up']);
    inNetns(client, 'ip', ['link', 'set', 'fl1', 'up']);
    // Tracking starts once a ruleset uses ct: load one before any connection.
    loadRuleset(
      host,
      'table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ct state established,related accept\n }\n}\n',
    );
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.pid) c.kill('SIGKILL');
    deleteNetns(host);
    deleteNetns(client);
    removeStateDir(dir);
  });

  const start = (ns: string, args: string[]): ChildProcess => {
    const c = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: 'ignore' });
    children.push(c);
    return c;
  };

  it('groups live connections into classes with their process, lists listeners and declared flows', async () => {
    start(host, ['socat', 'TCP-LISTEN:9100,fork,reuseaddr', 'EXEC:/bin/cat']);
    start(host, ['socat', 'UDP-RECVFROM:5353,fork', 'EXEC:/bin/cat']);
    // Wait for the listeners to be there (observable), then make three connections and a UDP exchange.
    const deadline = Date.now() + 10_000;
    while (!/:9100/.test(inNetns(host, 'ss', ['-tlnH'])) || !/:5353/.test(inNetns(host, 'ss', ['-ulnH']))) {
      if (Date.now() > deadline) throw new Error('listeners did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 3; i += 1)
      expect(inNetns(client, 'socat', ['-T2', '-', 'TCP:10.66.0.1:9100'], 'ping\n')).toBe('ping\n');
    expect(inNetns(client, 'socat', ['-T2', '-', 'UDP:10.66.0.1:5353'], 'q\n')).toBe('q\n');
    const flowsFile = join(dir, 'flows');
    writeFileSync(flowsFile, 'tcp from 10.66.0.0/24 to :9100 name=metrics\nudp to 10.66.0.9:53 name=dns\n');

    const r = fwsafe(['--netns', host, 'flows', '--flows', flowsFile, '--json']);
    expect(r.status, r.stderr).toBe(0);
    await expectContract('flows', r.json);
    expect(r.json.conntrack).toBe('tracked');
    const tcp = r.json.classes.find((c: { proto: string; port: number }) => c.proto === 'tcp' && c.port === 9100);
    expect(tcp).toMatchObject({
      direction: 'in',
      peer: '10.66.0.0/24',
      local: '10.66.0.1',
      connections: 3,
      process: 'socat',
    });
    expect(r.json.classes.find((c: { proto: string }) => c.proto === 'udp')).toMatchObject({
      direction: 'in',
      port: 5353,
      process: 'socat',
    });
    expect(r.json.listeners.map((l: { proto: string; port: number }) => `${l.proto}/${l.port}`)).toEqual(
      expect.arrayContaining(['tcp/9100', 'udp/5353']),
    );
    expect(r.json.declared.map((f: { name: string }) => f.name)).toEqual(['metrics', 'dns']);
    expect(r.json.durationMs).toBeGreaterThan(0);

    const text = fwsafe(['--netns', host, 'flows', '--flows', flowsFile]);
    expect(text.stdout).toContain('tcp in 10.66.0.0/24 → 10.66.0.1:9100');
    expect(text.stdout).toContain('(metrics)');

    const bad = join(dir, 'bad');
    writeFileSync(bad, 'tcp to :99999\n');
    const refused = fwsafe(['--netns', host, 'flows', '--flows', bad, '--json']);
    expect(refused.status).toBe(9);
    expect(refused.json.error.code).toBe('FLOWS_FILE_INVALID');
  });

  it('plan --flows replays them through the proposal: a cut live flow blocks, a closed service that opens is exposure, a safe change passes', async () => {
    // Tracking needs a ct rule before the connections; the host serves 9100/tcp (live), 5353/udp (live) and 8080/tcp (closed today).
    loadRuleset(
      host,
      'flush ruleset\ntable inet t {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ct state established,related accept\n  iif "lo" accept\n  tcp dport 22 accept\n  tcp dport 9100 accept\n  udp dport 5353 accept\n }\n}\n',
    );
    start(host, ['socat', 'TCP-LISTEN:9100,fork,reuseaddr', 'EXEC:/bin/cat']);
    start(host, ['socat', 'UDP-RECVFROM:5353,fork', 'EXEC:/bin/cat']);
    start(host, ['socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'EXEC:/bin/cat']);
    const deadline = Date.now() + 10_000;
    while (
      !/:9100/.test(inNetns(host, 'ss', ['-tlnH'])) ||
      !/:8080/.test(inNetns(host, 'ss', ['-tlnH'])) ||
      !/:5353/.test(inNetns(host, 'ss', ['-ulnH']))
    ) {
      if (Date.now() > deadline) throw new Error('listeners did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 2; i += 1)
      expect(inNetns(client, 'socat', ['-T2', '-', 'TCP:10.66.0.1:9100'], 'ping\n')).toBe('ping\n');
    expect(inNetns(client, 'socat', ['-T2', '-', 'UDP:10.66.0.1:5353'], 'q\n')).toBe('q\n');
    const handle = (match: string): string =>
      /# handle (\d+)/.exec(
        inNetns(host, 'nft', ['-a', 'list', 'chain', 'inet', 't', 'input'])
          .split('\n')
          .find((l) => l.includes(match)) ?? '',
      )?.[1] ?? '0';
    const proposal = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const plan = (file: string) => fwsafe(['--netns', host, 'plan', file, '--flows', '--detailed-exitcode', '--json']);
    const codes = (r: { json: { findings: { code: string; severity: string }[] } }) =>
      r.json.findings.map((f) => `${f.severity} ${f.code}`);

    const cut = plan(proposal('cut.nft', `delete rule inet t input handle ${handle('dport 9100')}\n`));
    expect(cut.status, cut.stderr).toBe(5);
    const flowCut = cut.json.findings.find(
      (f: { code: string; message: string }) => f.code === 'FLOW_CUT' && f.message.includes(':9100'),
    );
    expect(flowCut).toMatchObject({ severity: 'error', evidence: 'probe' });
    expect(flowCut.message).toContain('socat');
    expect(flowCut.message, flowCut.message).toMatch(/dropped by inet t input: policy drop/);

    const udp = plan(proposal('udp.nft', `delete rule inet t input handle ${handle('dport 5353')}\n`));
    expect(
      udp.json.findings.find(
        (f: { code: string; message: string }) => f.code === 'FLOW_CUT' && f.message.includes('udp'),
      ),
    ).toBeDefined();

    const exposed = plan(proposal('open.nft', 'add rule inet t input tcp dport 8080 accept\n'));
    expect(exposed.status, exposed.stderr).toBe(2);
    expect(
      exposed.json.findings.find(
        (f: { code: string; message: string }) => f.code === 'FLOW_NEWLY_EXPOSED' && f.message.includes(':8080'),
      ),
    ).toBeDefined();
    expect(codes(exposed)).not.toContain('error FLOW_CUT');

    const safe = plan(proposal('safe.nft', 'add rule inet t input tcp dport 443 accept\n'));
    expect(safe.status, safe.stderr).toBe(2);
    expect(codes(safe).filter((c) => c.includes('FLOW_'))).toEqual([]);
  });
  it('apply --flows: the same FLOW_* findings through the gate — a cut is refused with the ruleset untouched, a safe change goes in', async () => {
    loadRuleset(
      host,
      'flush ruleset\ntable inet t {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ct state established,related accept\n  iif "lo" accept\n  tcp dport 22 accept\n  tcp dport 9100 accept\n }\n chain output {\n  type filter hook output priority 0; policy accept;\n }\n}\n',
    );
    start(host, ['socat', 'TCP-LISTEN:9100,fork,reuseaddr', 'EXEC:/bin/cat']);
    const deadline = Date.now() + 10_000;
    while (!/:9100/.test(inNetns(host, 'ss', ['-tlnH']))) {
      if (Date.now() > deadline) throw new Error('listener did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(inNetns(client, 'socat', ['-T2', '-', 'TCP:10.66.0.1:9100'], 'ping\n')).toBe('ping\n');
    // A declared outbound flow: the host's DNS queries to 10.66.0.53 (replayed in the network replay).
    const flowsFile = join(dir, 'flows');
    writeFileSync(flowsFile, 'udp to 10.66.0.53:53 out name=dns\n');
    const state = join(dir, 'state');
    const cut = join(dir, 'cut.nft');
    writeFileSync(cut, 'insert rule inet t output udp dport 53 drop\n');
    const before = liveRuleset(host);
    const refused = fwsafe([
      '--netns',
      host,
      '--state-dir',
      state,
      'apply',
      cut,
      '--flows-file',
      flowsFile,
      '--no-wait',
      '--timeout',
      '30',
      '--json',
    ]);
    expect(refused.status, refused.stderr).toBe(5);
    expect(refused.json.error.message).toMatch(/FLOW_CUT|flow/i);
    expect(liveRuleset(host)).toBe(before);

    const safe = join(dir, 'safe.nft');
    writeFileSync(safe, 'add rule inet t input tcp dport 443 accept\n');
    const applied = fwsafe([
      '--netns',
      host,
      '--state-dir',
      state,
      'apply',
      safe,
      '--flows-file',
      flowsFile,
      '--no-wait',
      '--timeout',
      '30',
      '--json',
    ]);
    expect(applied.status, applied.stderr).toBe(0);
    expect(liveRuleset(host)).toContain('tcp dport 443 accept');
    expect(fwsafe(['--netns', host, '--state-dir', state, 'rollback', '--json']).status).toBe(0);
  });
});
