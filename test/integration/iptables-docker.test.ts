import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot } from '../helpers/netns.js';
import { killWatchdog, versionRecord, waitFor } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

// A docker host built for real in namespaces: a bridge (docker0), a "container" namespace on it behind a
// veth, serving on :80, published on the host's :8080 by docker's DNAT; clients in a namespace of their
// own send real traffic. Addresses are ours, inside our namespaces only.
const HOST = '10.214.0.1';
const ALLOWED = '10.214.0.2';
const OTHER = '10.214.0.3';
const BRIDGE = '172.17.0.1';
const CONTAINER = '172.17.0.2';
type Variant = 'nft' | 'legacy';

// What docker (≤ 27, iptables backend) creates for `docker run -p 8080:80`, plus an admin's `-m recent`
// rule in DOCKER-USER (the rule that used to switch the probes off for the whole host).
const DOCKER_RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -m recent --rcheck --seconds 60 --name scanners --mask 255.255.255.255 --rsource -j DROP
-A DOCKER-USER -j RETURN
COMMIT
`;
// The admin restricts the published port to one client, the documented way: DOCKER-USER only.
const restrictWith = (match: string): string => `*filter
:DOCKER-USER - [0:0]
-A DOCKER-USER -m recent --rcheck --seconds 60 --name scanners --mask 255.255.255.255 --rsource -j DROP
-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 ${match}! -s ${ALLOWED}/32 -j DROP
-A DOCKER-USER -j RETURN
COMMIT
`;
const RESTRICT = restrictWith('--ctdir ORIGINAL ');
// The same without --ctdir ORIGINAL: the container's replies (source 172.17.0.2) are dropped too, for everyone.
const RESTRICT_BOTH_WAYS = restrictWith('');
// What docker adds while the change is pending: a second container published on :8443.
const DOCKER_LATER = {
  nat: ['-A', 'DOCKER', '!', '-i', 'docker0', '-p', 'tcp', '-m', 'tcp', '--dport', '8443', '-j', 'DNAT'],
  natTo: ['--to-destination', '172.17.0.3:443'],
  filter: ['-A', 'DOCKER', '-d', '172.17.0.3/32', '!', '-i', 'docker0', '-o', 'docker0', '-p', 'tcp'],
  filterTail: ['-m', 'tcp', '--dport', '443', '-j', 'ACCEPT'],
};
const LATER_FILTER = '-A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 443 -j ACCEPT';
const LATER_NAT = '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 172.17.0.3:443';

/** iptables-save of a namespace without comment lines; with counters when asked. */
const save = (ns: string, v: Variant, counters = false): string =>
  inNetns(ns, `iptables-${v}-save`, counters ? ['-c'] : [])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
/** One chain of one table of a save: its declaration and its rules (with their counters when saved with -c). */
function chain(text: string, table: string, name: string): string[] {
  const block = text.split(/^(?=\*)/m).find((b) => b.startsWith(`*${table}\n`)) ?? '';
  return block
    .split('\n')
    .filter((l) => l.startsWith(`:${name} `) || new RegExp(`^(\\[\\d+:\\d+\\] )?-A ${name} `).test(l));
}
/** Every chain of a save but DOCKER-USER, with counters: what the change must leave exactly as it is. */
function untouched(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^(\*|:|\[\d+:\d+\] -A |-A )/.test(l) && !/^(:|(\[\d+:\d+\] )?-A )DOCKER-USER /.test(l))
    .map((l) => l.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1'));
}
const packets = (line: string | undefined): number => Number(/^\[(\d+):/.exec(line ?? '')?.[1] ?? -1);

describe.skipIf(!isRoot)('docker host for real (bridge, container namespace, published port) on iptables', () => {
  const state = useStateDir();
  let host = '';
  let container = '';
  let client = '';
  let dir = '';
  const children: ChildProcess[] = [];
  const cli = (...args: string[]) =>
    fwsafe(['--netns', host, '--state-dir', state.path, ...args], { timeoutMs: 180_000 });
  const confirm = () =>
    fwsafe(['--state-dir', state.path, 'confirm', '--json'], {
      env: { SSH_CONNECTION: `${ALLOWED} 50000 ${HOST} 22` },
    });

  beforeEach(async () => {
    host = createNetns('dk-h');
    container = createNetns('dk-c');
    client = createNetns('dk-cl');
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-dk-'));
    const tag = `${process.pid % 100000}`;
    // docker0 and the container's veth on it.
    inNetns(host, 'ip', ['link', 'add', 'docker0', 'type', 'bridge']);
    inNetns(host, 'ip', ['addr', 'add', `${BRIDGE}/16`, 'dev', 'docker0']);
    inNetns(host, 'ip', ['link', 'set', 'docker0', 'up']);
    inNetns(host, 'ip', ['link', 'add', `veth${tag}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', container]);
    inNetns(host, 'ip', ['link', 'set', `veth${tag}`, 'master', 'docker0', 'up']);
    inNetns(container, 'ip', ['addr', 'add', `${CONTAINER}/16`, 'dev', 'eth0']);
    inNetns(container, 'ip', ['link', 'set', 'eth0', 'up']);
    inNetns(container, 'ip', ['route', 'add', 'default', 'via', BRIDGE]);
    // The host's uplink and the clients (two addresses: one the admin allows, one not).
    inNetns(host, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `cl${tag}`, 'netns', client]);
    inNetns(host, 'ip', ['addr', 'add', `${HOST}/24`, 'dev', 'eth0']);
    inNetns(host, 'ip', ['link', 'set', 'eth0', 'up']);
    inNetns(client, 'ip', ['addr', 'add', `${ALLOWED}/24`, 'dev', `cl${tag}`]);
    inNetns(client, 'ip', ['addr', 'add', `${OTHER}/24`, 'dev', `cl${tag}`]);
    inNetns(client, 'ip', ['link', 'set', `cl${tag}`, 'up']);
    inNetns(host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // The container's service: answers every connection with one line.
    const server = spawn(
      'ip',
      ['netns', 'exec', container, 'socat', 'TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo hello-from-container'],
      { stdio: 'ignore' },
    );
    children.push(server);
    expect(
      await waitFor(
        () =>
          spawnSync('ip', ['netns', 'exec', container, 'ss', '-Hltn', 'sport = :80'], {
            encoding: 'utf8',
          }).stdout.includes(':80'),
        5000,
        50,
      ),
    ).toBe(true);
  });
  afterEach(() => {
    killWatchdog(state.path);
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const ns of [host, container, client]) if (ns) deleteNetns(ns);
    removeStateDir(dir);
  });

  /** Real traffic: a TCP connection from `src` to the host's published port; the container's line, or "blocked". */
  function fetchPublished(src: string): string {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', client, 'socat', '-T', '3', '-', `TCP:${HOST}:8080,bind=${src},connect-timeout=2`],
      { encoding: 'utf8', input: '', timeout: 10_000 },
    );
    return r.status === 0 && r.stdout.includes('hello-from-container') ? 'served' : 'blocked';
  }
  /** docker publishing a second container while the change is pending (nat DNAT + filter ACCEPT in its DOCKER chains). */
  function dockerAddsRule(v: Variant): void {
    inNetns(host, `iptables-${v}`, ['-w', '5', '-t', 'nat', ...DOCKER_LATER.nat, ...DOCKER_LATER.natTo]);
    inNetns(host, `iptables-${v}`, ['-w', '5', ...DOCKER_LATER.filter, ...DOCKER_LATER.filterTail]);
  }
  const restricted = (v: Variant): boolean =>
    chain(save(host, v), 'filter', 'DOCKER-USER').some((l) => l.includes(`! -s ${ALLOWED}/32`));

  for (const variant of ['nft', 'legacy'] as const) {
    it(`iptables-${variant}: restrict the published port through DOCKER-USER; real traffic obeys it; docker's chains, a rule docker adds in the window and untouched counters survive apply, timeout rollback, confirm and rollback N; no phantom diff`, async () => {
      inNetns(host, `iptables-${variant}-restore`, ['-w', '5'], DOCKER_RULES);
      // Real traffic through docker's DNAT and FORWARD path, before any change: both clients are served.
      expect(fetchPublished(ALLOWED)).toBe('served');
      expect(fetchPublished(OTHER)).toBe('served');
      const snap = cli('snapshot', '--json', '-m', 'docker as docker left it');
      expect(snap.status, snap.stderr).toBe(0);

      const proposal = join(dir, 'docker-user.v4');
      writeFileSync(proposal, RESTRICT);
      const plan = cli(
        'plan',
        proposal,
        '--json',
        '--must-allow',
        `tcp/8080 from ${ALLOWED}`,
        '--must-deny',
        `tcp/8080 from ${OTHER}`,
      );
      expect(plan.status, plan.stderr).toBe(0);
      expect(plan.json.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
      expect(plan.json.findings.map((f: { code: string }) => f.code)).not.toContain('PROBES_FAILED');
      // The diff is the one rule the admin adds: the recent rule and docker's chains show no phantom change.
      expect(plan.json.diff.rules).toEqual([
        expect.objectContaining({
          kind: 'added',
          chain: 'DOCKER-USER',
          text: `-A DOCKER-USER ! -s ${ALLOWED}/32 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP`,
        }),
      ]);
      // The probes followed docker's DNAT to a backend behind "docker0" and saw both flows as they will be.
      expect(plan.json.findings.map((f: { code: string }) => f.code)).not.toContain('PROBE_MUST_DENY_FAILED');
      // The classic mistake (no --ctdir: the container's replies match "! -s" too) is caught by real packets.
      const bothWays = join(dir, 'both-ways.v4');
      writeFileSync(bothWays, RESTRICT_BOTH_WAYS);
      const caught = cli('plan', bothWays, '--json', '--must-allow', `tcp/8080 from ${ALLOWED}`);
      expect(caught.status, caught.stderr).toBe(0);
      expect(caught.json.findings[0]).toMatchObject({ code: 'PROBE_MUST_ALLOW_FAILED', severity: 'error' });
      // The deciding rule is named: the DOCKER-USER drop the container's replies met (trace for iptables-nft, counters for legacy).
      expect(caught.json.findings[0].message).toMatch(/dropped by .*DOCKER-USER/);
      expect(plan.json.transaction.apply[0].what).toBe(`iptables-${variant} v4 chains filter: DOCKER-USER`);

      // 1. Apply, unconfirmed; docker adds a container in the window; the deadline restores DOCKER-USER only.
      const counted = save(host, variant, true);
      const applied = cli('apply', proposal, '--no-wait', '--json', '--timeout', '8', '--no-probes');
      expect(applied.status, applied.stderr).toBe(0);
      expect(untouched(save(host, variant, true))).toEqual(untouched(counted));
      expect(fetchPublished(ALLOWED)).toBe('served');
      expect(fetchPublished(OTHER)).toBe('blocked');
      dockerAddsRule(variant);
      expect(await waitFor(() => !restricted(variant), 30_000, 100)).toBe(true);
      // The record follows the rollback: wait for it (observable), never for a fixed time.
      expect(
        await waitFor(() => versionRecord(state.path, applied.json.versionId).change.state !== 'pending', 15_000, 100),
      ).toBe(true);
      expect(versionRecord(state.path, applied.json.versionId).change).toMatchObject({
        state: 'rolled-back',
        rollbackReason: 'timeout',
        overwritten: [],
      });
      let now = save(host, variant, true);
      expect(chain(now, 'filter', 'DOCKER')).toContain(`[0:0] ${LATER_FILTER}`);
      expect(chain(now, 'nat', 'DOCKER')).toContain(`[0:0] ${LATER_NAT}`);
      expect(chain(save(host, variant), 'filter', 'DOCKER-USER')).toEqual(chain(DOCKER_RULES, 'filter', 'DOCKER-USER'));
      expect(fetchPublished(OTHER)).toBe('served');
      // Counters of docker's rules kept through apply and rollback (they only grow with the traffic above).
      const dnat = (t: string) => chain(t, 'nat', 'DOCKER').find((l) => l.includes('--dport 8080 -j DNAT'));
      expect(packets(dnat(now))).toBeGreaterThanOrEqual(4);
      const dockerAccept = (t: string) => chain(t, 'filter', 'DOCKER').find((l) => l.includes(`-d ${CONTAINER}/32`));
      expect(packets(dockerAccept(now))).toBeGreaterThanOrEqual(packets(dockerAccept(counted)));
      expect(packets(dockerAccept(now))).toBeGreaterThan(0);

      // A no-op plan now (DOCKER-USER as the proposal's base left it; docker's chains changed meanwhile): no phantom diff.
      const noop = join(dir, 'noop.v4');
      writeFileSync(noop, `*filter\n${chain(DOCKER_RULES, 'filter', 'DOCKER-USER').join('\n')}\nCOMMIT\n`);
      const same = cli('plan', noop, '--json', '--no-probes');
      expect(same.status, same.stderr).toBe(0);
      expect(same.json.diff.rules).toEqual([]);
      expect(same.json.touchedTables).toEqual([]);
      expect(same.json.transaction.apply).toEqual([]);

      // 2. Apply and confirm: the restriction stays, docker's chains (with its later rule) untouched, counters kept.
      const before = save(host, variant, true);
      const kept = cli('apply', proposal, '--no-wait', '--json', '--timeout', '60', '--no-probes');
      expect(kept.status, kept.stderr).toBe(0);
      expect(confirm().status).toBe(0);
      now = save(host, variant, true);
      expect(untouched(now)).toEqual(untouched(before));
      expect(restricted(variant)).toBe(true);
      expect(fetchPublished(ALLOWED)).toBe('served');
      expect(fetchPublished(OTHER)).toBe('blocked');
      // A second apply of the same proposal is a no-op: no phantom diff against what the change left.
      const again = cli('plan', proposal, '--json', '--no-probes');
      expect(again.status, again.stderr).toBe(0);
      expect(again.json.diff.rules).toEqual([]);
      expect(again.json.touchedTables).toEqual([]);

      // 3. rollback N to the snapshot taken before any change: DOCKER-USER as it was; docker's later rules stay.
      dockerAddsRule(variant);
      const withLater = save(host, variant, true);
      const back = cli(
        'rollback',
        String(snap.json.version.id),
        '--no-wait',
        '--json',
        '--timeout',
        '60',
        '--no-probes',
      );
      expect(back.status, back.stderr).toBe(0);
      expect(confirm().status).toBe(0);
      now = save(host, variant, true);
      expect(restricted(variant)).toBe(false);
      expect(chain(save(host, variant), 'filter', 'DOCKER-USER')).toEqual(chain(DOCKER_RULES, 'filter', 'DOCKER-USER'));
      expect(untouched(now)).toEqual(untouched(withLater));
      expect(chain(now, 'filter', 'DOCKER').filter((l) => l.endsWith(LATER_FILTER))).toHaveLength(2);
      expect(fetchPublished(OTHER)).toBe('served');
    });
  }

  it("an nft change of the admin's own on the docker host: probes still run (the -m recent rule and docker's chains loaded natively)", () => {
    inNetns(host, 'iptables-nft-restore', ['-w', '5'], DOCKER_RULES);
    const proposal = join(dir, 'mine.nft');
    writeFileSync(
      proposal,
      'table inet mine {\n chain input { type filter hook input priority 10; policy accept;\n  tcp dport 23 drop\n }\n}\n',
    );
    const plan = cli(
      'plan',
      proposal,
      '--json',
      '--must-deny',
      `tcp/23 from ${OTHER}`,
      '--must-allow',
      `tcp/22 from ${ALLOWED}`,
    );
    expect(plan.status, plan.stderr).toBe(0);
    const codes = plan.json.findings.map((f: { code: string }) => f.code);
    expect(codes).not.toContain('PROBES_FAILED');
    expect(codes).not.toContain('PROBE_MUST_DENY_FAILED');
    expect(plan.json.findings.map((f: { message: string }) => f.message).join(' ')).not.toMatch(
      /could not be reproduced|probes ran without/,
    );
    // A must-deny that the change does not make true is caught by real packets: the probes did run.
    writeFileSync(
      proposal,
      'table inet mine {\n chain input { type filter hook input priority 10; policy accept;\n  tcp dport 24 drop\n }\n}\n',
    );
    const miss = cli('plan', proposal, '--json', '--must-deny', `tcp/23 from ${OTHER}`);
    expect(miss.status, miss.stderr).toBe(0);
    expect(miss.json.findings.map((f: { code: string }) => f.code)).toContain('PROBE_MUST_DENY_FAILED');
  });
});
