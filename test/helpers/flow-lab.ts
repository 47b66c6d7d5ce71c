import { spawn, type ChildProcess } from 'node:child_process';
import { createNetns, deleteNetns, inNetns, loadRuleset } from './netns.js';

// A routed host with real services and real traffic, for the flows corpus (test/integration/flows-corpus-*.test.ts):
//
//   c1, c2, c3 ── bridge "lan" ── host ── "wan" ── router ══(MTU 1280)══ dns   (outbound DNS, a TCP upstream)
//   10.71.0.11-13  10.71.0.1      │       10.72.0.1/.2                  10.73.0.53
//   fd71::11-13    fd71::1        └── "be" ── backend 10.74.0.10:8080  (forwarded from the LAN)
//
// Host services: HTTP :80, a DNS-like UDP responder :53, an NFS-like TCP :2049, metrics :9100; listening
// but closed by the base ruleset: :5432, :6379, :8443 (the exposure cases).
export const LAB = {
  host: '10.71.0.1',
  host6: 'fd71::1',
  clients: ['10.71.0.11', '10.71.0.12', '10.71.0.13'],
  clients6: ['fd71::11', 'fd71::12', 'fd71::13'],
  resolver: '10.73.0.53',
  backend: '10.74.0.10',
};

export const BASE_RULESET = `flush ruleset
table inet filter {
 chain input {
  type filter hook input priority 0; policy drop;
  ct state established,related accept
  ct state invalid drop
  iif "lo" accept
  icmp type { echo-request, destination-unreachable, time-exceeded } accept
  icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, packet-too-big, destination-unreachable } accept
  tcp dport { 22, 80, 2049 } accept
  tcp dport 9100 ip saddr 10.71.0.0/24 accept
  udp dport 53 accept
 }
 chain forward {
  type filter hook forward priority 0; policy drop;
  ct state established,related accept
  iifname "lan" oifname "be" tcp dport 8080 accept
  iifname "lan" oifname "be" icmp type echo-request accept
 }
 chain output {
  type filter hook output priority 0; policy accept;
  ct state established,related accept
  udp dport 53 accept
  tcp dport 853 accept
 }
}
`;

/** The flows each corpus proposal may cut, and how the copy observes each one, independently of fwsafe. */
export type FlowId =
  | 'http'
  | 'dns-in'
  | 'nfs'
  | 'metrics'
  | 'dns-out'
  | 'upstream'
  | 'forward'
  | 'forward-ping'
  | 'ping'
  | 'ping6'
  | 'pmtu'
  | 'nd';
export const FLOW_IDS: FlowId[] = [
  'http',
  'dns-in',
  'nfs',
  'metrics',
  'dns-out',
  'upstream',
  'forward',
  'forward-ping',
  'ping',
  'ping6',
  'pmtu',
  'nd',
];
/** Closed services (listening, blocked by the base): newly exposed when a proposal opens them to everyone. */
export const CLOSED_PORTS = [5432, 6379, 8443];

export const FLOWS_FILE = `# declared flows of the lab host
icmp from 10.71.0.0/24 to 10.71.0.1 in name=ping
icmpv6 from fd71::/64 to fd71::1 in name=ping6
udp to 10.73.0.53:53 out name=dns
tcp to 10.73.0.53:853 out name=upstream
tcp from 10.71.0.0/24 to 10.74.0.10:8080 forward name=backend
icmp from 10.71.0.0/24 to 10.74.0.10 forward name=backend-ping
`;

export interface Lab {
  ns: { host: string; c: string[]; router: string; dns: string; backend: string };
  children: ChildProcess[];
}

const ip = (ns: string, args: string[]): string => inNetns(ns, 'ip', args);

/** Builds the lab (namespaces named with `tag`); services started, nothing else. */
export async function buildLab(tag: string): Promise<Lab> {
  const ns = {
    host: createNetns(`${tag}h`),
    c: [createNetns(`${tag}c1`), createNetns(`${tag}c2`), createNetns(`${tag}c3`)],
    router: createNetns(`${tag}r`),
    dns: createNetns(`${tag}d`),
    backend: createNetns(`${tag}b`),
  };
  const lab: Lab = { ns, children: [] };
  try {
    for (const n of [ns.host, ...ns.c, ns.router, ns.dns, ns.backend])
      inNetns(n, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    ip(ns.host, ['link', 'add', 'lan', 'type', 'bridge']);
    ip(ns.host, ['link', 'set', 'lan', 'up']);
    ip(ns.host, ['addr', 'add', '10.71.0.1/24', 'dev', 'lan']);
    ip(ns.host, ['addr', 'add', 'fd71::1/64', 'dev', 'lan', 'nodad']);
    for (const [i, c] of ns.c.entries()) {
      ip(ns.host, ['link', 'add', `lan${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
      ip(ns.host, ['link', 'set', `lan${i}`, 'master', 'lan', 'up']);
      ip(c, ['link', 'set', 'eth0', 'up']);
      ip(c, ['addr', 'add', `${LAB.clients[i]}/24`, 'dev', 'eth0']);
      ip(c, ['addr', 'add', `${LAB.clients6[i]}/64`, 'dev', 'eth0', 'nodad']);
      ip(c, ['route', 'add', 'default', 'via', LAB.host]);
    }
    ip(ns.host, ['link', 'add', 'wan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.router]);
    ip(ns.host, ['addr', 'add', '10.72.0.1/30', 'dev', 'wan']);
    ip(ns.router, ['addr', 'add', '10.72.0.2/30', 'dev', 'eth0']);
    ip(ns.router, ['link', 'add', 'eth1', 'mtu', '1280', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.dns]);
    ip(ns.router, ['addr', 'add', '10.73.0.1/24', 'dev', 'eth1']);
    ip(ns.dns, ['addr', 'add', `${LAB.resolver}/24`, 'dev', 'eth0']);
    for (const [n, d] of [
      [ns.host, 'wan'],
      [ns.router, 'eth0'],
      [ns.router, 'eth1'],
      [ns.dns, 'eth0'],
    ] as const)
      ip(n, ['link', 'set', d, 'up']);
    ip(ns.host, ['route', 'add', 'default', 'via', '10.72.0.2']);
    ip(ns.router, ['route', 'add', '10.71.0.0/16', 'via', '10.72.0.1']);
    ip(ns.dns, ['route', 'add', 'default', 'via', '10.73.0.1']);
    inNetns(ns.router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    ip(ns.host, ['link', 'add', 'be', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.backend]);
    ip(ns.host, ['addr', 'add', '10.74.0.1/24', 'dev', 'be']);
    ip(ns.backend, ['addr', 'add', `${LAB.backend}/24`, 'dev', 'eth0']);
    ip(ns.host, ['link', 'set', 'be', 'up']);
    ip(ns.backend, ['link', 'set', 'eth0', 'up']);
    ip(ns.backend, ['route', 'add', 'default', 'via', '10.74.0.1']);
    inNetns(ns.host, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    // Tracking starts once a ruleset uses ct: the base goes in before any connection.
    loadRuleset(ns.host, BASE_RULESET);
    const start = (n: string, args: string[]): void => {
      const c = spawn('ip', ['netns', 'exec', n, ...args], { stdio: 'ignore' });
      lab.children.push(c);
    };
    for (const port of [80, 2049, 9100, ...CLOSED_PORTS])
      start(ns.host, ['socat', `TCP6-LISTEN:${port},fork,reuseaddr`, 'EXEC:/bin/cat']);
    start(ns.host, ['socat', 'UDP6-RECVFROM:53,fork', 'EXEC:/bin/cat']);
    start(ns.dns, ['socat', 'UDP-RECVFROM:53,fork', 'EXEC:/bin/cat']);
    start(ns.dns, ['socat', 'TCP-LISTEN:853,fork,reuseaddr', 'EXEC:/bin/cat']);
    start(ns.backend, ['socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'EXEC:/bin/cat']);
    const up = (n: string, flag: string, port: number): boolean =>
      new RegExp(`:${port}\\b`).test(inNetns(n, 'ss', [flag, '-H']));
    const deadline = Date.now() + 15_000;
    while (
      ![80, 2049, 9100, ...CLOSED_PORTS].every((p) => up(ns.host, '-tln', p)) ||
      !up(ns.host, '-uln', 53) ||
      !up(ns.dns, '-uln', 53) ||
      !up(ns.dns, '-tln', 853) ||
      !up(ns.backend, '-tln', 8080)
    ) {
      if (Date.now() > deadline) throw new Error('lab services did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    return lab;
  } catch (error) {
    removeLab(lab);
    throw error;
  }
}

/**
 * Live traffic, east-west and beyond: each client holds a connection open to a host service (so the
 * conntrack table has established flows with their process), queries the DNS-like responder and pings;
 * the host queries its resolver and its TCP upstream; a client keeps a connection to the backend.
 */
export function startTraffic(lab: Lab): Promise<void> {
  const hold = (n: string, target: string): void => {
    const c = spawn('ip', ['netns', 'exec', n, 'socat', '-T60', '-', target], { stdio: ['pipe', 'ignore', 'ignore'] });
    c.stdin?.write('hello\n');
    lab.children.push(c);
  };
  hold(lab.ns.c[0]!, `TCP:${LAB.host}:2049`);
  hold(lab.ns.c[1]!, `TCP:${LAB.host}:9100`);
  hold(lab.ns.c[2]!, `TCP:${LAB.host}:80`);
  hold(lab.ns.c[0]!, `TCP:${LAB.backend}:8080`);
  hold(lab.ns.host, `TCP:${LAB.resolver}:853`);
  return refreshTraffic(lab);
}

/**
 * Short-lived flows again (UDP and ICMP conntrack entries time out in 30 s): each client's query then
 * ping, and the host's query; the four namespaces side by side.
 */
export async function refreshTraffic(lab: Lab): Promise<void> {
  await Promise.all([
    ...lab.ns.c.map(async (c) => {
      await exec(c, ['socat', '-T1', '-', `UDP:${LAB.host}:53`], 'q\n', 3000);
      await exec(c, ['ping', '-c1', '-W1', LAB.host], undefined, 3000);
    }),
    exec(lab.ns.host, ['socat', '-T1', '-', `UDP:${LAB.resolver}:53`], 'q\n', 3000),
  ]);
}

export function removeLab(lab: Lab): void {
  for (const c of lab.children.splice(0)) if (c.pid) c.kill('SIGKILL');
  for (const n of [lab.ns.host, ...lab.ns.c, lab.ns.router, lab.ns.dns, lab.ns.backend]) deleteNetns(n);
}

/** A command in a namespace, without blocking the event loop (a plan runs meanwhile); bounded in time. */
const exec = (n: string, args: string[], input?: string, timeout = 6000): Promise<{ ok: boolean; out: string }> =>
  new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', n, ...args], { stdio: ['pipe', 'pipe', 'ignore'], timeout });
    let out = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d: string) => {
      out += d;
    });
    c.stdin.on('error', () => {
      // the command exited before reading its input
    });
    c.on('error', () => resolve({ ok: false, out }));
    c.on('close', (code) => resolve({ ok: code === 0, out }));
    c.stdin.end(input ?? '');
  });
// A bounded connect, and for UDP no wait for an end that never comes: done when the echo is back.
const echoes = async (n: string, target: string, ms = 2): Promise<boolean> =>
  (await exec(n, ['socat', `-T${ms}`, '-', `${target},connect-timeout=${ms}`], 'ping\n')).out === 'ping\n';

/**
 * Which lab flows work in this copy right now, observed with the real tools (socat, ping, the kernel's
 * neighbour and route caches), independently of fwsafe's probes. New connections and exchanges, as the
 * replay sends them; caches are emptied first so ND and PMTU must pass the rules in force.
 */
export async function observe(lab: Lab): Promise<Set<FlowId>> {
  const { host, c, backend } = lab.ns;
  for (const n of [host, ...c]) await exec(n, ['ip', 'neigh', 'flush', 'all']);
  await exec(host, ['ip', 'route', 'flush', 'cache']);
  const works = new Set<FlowId>();
  const check: [FlowId, () => Promise<boolean>][] = [
    ['http', () => echoes(c[2]!, `TCP:${LAB.host}:80`)],
    ['dns-in', () => echoes(c[0]!, `UDP:${LAB.host}:53`)],
    ['nfs', () => echoes(c[0]!, `TCP:${LAB.host}:2049`)],
    ['metrics', () => echoes(c[1]!, `TCP:${LAB.host}:9100`)],
    ['dns-out', () => echoes(host, `UDP:${LAB.resolver}:53`)],
    ['upstream', () => echoes(host, `TCP:${LAB.resolver}:853`)],
    ['forward', () => echoes(c[0]!, `TCP:${LAB.backend}:8080`)],
    ['forward-ping', async () => (await exec(c[1]!, ['ping', '-c1', '-W1', LAB.backend])).ok],
    ['ping', async () => (await exec(c[1]!, ['ping', '-c1', '-W1', LAB.host])).ok],
    ['ping6', async () => (await exec(c[1]!, ['ping', '-6', '-c1', '-W1', LAB.host6])).ok],
    [
      'pmtu',
      async () => {
        // Full-size segments to the resolver's TCP service: the router (MTU 1280 beyond) answers
        // fragmentation-needed; the host learns the path MTU only if that error passes its rules.
        await exec(host, ['socat', '-T2', '-', `TCP:${LAB.resolver}:853`], 'x'.repeat(4000));
        return /\bmtu 1280\b/.test((await exec(host, ['ip', 'route', 'get', LAB.resolver])).out);
      },
    ],
    [
      'nd',
      async () => {
        await exec(c[2]!, ['ping', '-6', '-c1', '-W1', LAB.host6]);
        return /REACHABLE|STALE|DELAY|PROBE/.test((await exec(c[2]!, ['ip', '-6', 'neigh', 'show', LAB.host6])).out);
      },
    ],
  ];
  // One after another, as before: the observation itself is unchanged.
  for (const [id, ok] of check) if (await ok()) works.add(id);
  void backend;
  return works;
}

/** Closed services that answer a client now (exposure observed in the copy). */
export async function exposed(lab: Lab): Promise<number[]> {
  const open: number[] = [];
  for (const p of CLOSED_PORTS) if (await echoes(lab.ns.c[1]!, `TCP:${LAB.host}:${p}`, 1)) open.push(p);
  return open;
}
