import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { run } from '../run/runner.js';
import { spawnPiped } from '../run/spawn.js';
import { resolveBinary } from '../run/binaries.js';
import { privateTempDir } from '../state/runtime-dir.js';
import { cleanStale } from '../plan/scratch.js';
import { AGENT, agentBatcher, lines, READY_MS, responding, type AgentProbe } from '../probes/agent-io.js';
import { explainUnseen, loadBaseInto, swapInto, type ProbeResult, type ProbeRuleset } from '../probes/run-probes.js';
import { fromTo, lastStopped, lastVerdict, parseTrace, type TraceVerdict } from '../probes/trace.js';
import { splitTables } from '../ruleset/text.js';
import { buildTopology, removeTopology, type Topology } from './net-topology.js';
import { hostAddressOf, isV6, peersOf, type NetSpec } from './net-spec.js';

const WAIT_MS = 1500;
type Verdict = 'allowed' | 'dropped' | 'rejected' | 'not-run';

export interface NetReplayOptions extends ProbeRuleset {
  /** Each probe's tag (its description starts with it) and what to send. */
  probes: { tag: string; spec: NetSpec }[];
  /** Where an address is on the live host: the interface holding it or routing to it, and the gateway. */
  routeOf: (addr: string) => { iface: string; via: string | null };
  forwarding: { ipv4: boolean; ipv6: boolean };
}

const TRACE =
  'table inet fwsafe_trace {\n chain pre {\n  type filter hook prerouting priority -500; policy accept;\n  meta nftrace set 1\n }\n' +
  ' chain out {\n  type filter hook output priority -500; policy accept;\n  meta nftrace set 1\n }\n}\n';

const word = (stdout: string): Exclude<Verdict, 'not-run'> =>
  stdout.startsWith('accepted') ? 'allowed' : stdout.startsWith('rejected') ? 'rejected' : 'dropped';

/** Which namespace sends a spec's first packet, and which one answers it. */
function endsOf(topo: Topology, s: NetSpec): { sender: string; responder: string } {
  const peerNs = (a: string): string => (s.direction === 'forward' && a === s.dst ? topo.back : topo.far);
  if (s.direction === 'out') return { sender: topo.host, responder: peerNs(s.dst) };
  if (s.direction === 'in') return { sender: peerNs(s.src), responder: topo.host };
  return { sender: topo.far, responder: topo.back };
}

/** One batching agent per sending namespace (src/probes/agent-io.ts). */
type Agents = Map<string, (p: AgentProbe) => Promise<string>>;

const agentsFor = (topo: Topology): Agents =>
  new Map(
    [topo.host, topo.far].map((ns) => [
      ns,
      agentBatcher(
        (args) => run(process.execPath, args, { netns: ns, allowFailure: true, timeoutMs: 30_000 }),
        WAIT_MS,
      ),
    ]),
  );

/** Sends one spec's traffic through the host copy as it stands; the verdict from what came back. */
async function probe(topo: Topology, s: NetSpec, agents: Agents): Promise<Verdict> {
  const { sender } = endsOf(topo, s);
  if (s.kind === 'echo') {
    const r = await run('ping', [isV6(s.dst) ? '-6' : '-4', '-n', '-c', '1', '-W', '1', '-I', s.src, s.dst], {
      netns: sender,
      allowFailure: true,
    });
    // A reject answers with prohibited/port unreachable; "Address unreachable" is a neighbour that never answered.
    return r.exitCode === 0
      ? 'allowed'
      : /prohibited|filtered|port unreachable/i.test(r.stdout)
        ? 'rejected'
        : 'dropped';
  }
  if (s.kind === 'nd') {
    // Both ends solicit each other on the link; the replay passes when both learn the other's address.
    const i = topo.ifaces.indexOf(s.src);
    // One side after the other, from empty caches (a solicitation also teaches its receiver the sender).
    const learnt = async (ns: string, dev: string, addr: string): Promise<boolean> => {
      // -W 2: a first solicitation on a link just up may be lost; the kernel sends the next after 1 s.
      await run('ping', ['-6', '-n', '-c', '1', '-W', '2', `${addr}%${dev}`], { netns: ns, allowFailure: true });
      const n = await run('ip', ['-6', 'neigh', 'show', addr, 'dev', dev], { netns: ns, allowFailure: true });
      // REACHABLE only after a solicited advertisement; an entry learnt from the other side's own
      // solicitation or router solicitation is STALE/DELAY, and proves nothing about this direction.
      return /REACHABLE/.test(n.stdout);
    };
    for (const ns of [topo.host, topo.router])
      await run('ip', ['-6', 'neigh', 'flush', 'all'], { netns: ns, allowFailure: true });
    if (!(await learnt(topo.router, `fws${i}`, 'fe80::1'))) return 'dropped';
    await run('ip', ['-6', 'neigh', 'flush', 'all'], { netns: topo.host, allowFailure: true });
    return (await learnt(topo.host, s.src, 'fe80::2')) ? 'allowed' : 'dropped';
  }
  if (s.kind === 'pmtu') {
    // Full-size segments towards a peer behind the 1280-byte link: the router's PMTU error must reach
    // the host, or the connection stalls (a PMTU black hole). The host's route cache says whether it did.
    const word = await agents.get(sender)!({ kind: 'bulk', src: s.src, dst: s.dst, port: s.port! });
    const peer = s.direction === 'in' ? s.src : s.dst;
    const cache = await run('ip', [isV6(peer) ? '-6' : '-4', 'route', 'get', peer], {
      netns: topo.host,
      allowFailure: true,
    });
    if (/\bmtu \d+/.test(cache.stdout)) return 'allowed';
    // The flow that carries it did not connect: its own replay says so; PMTU could not be observed.
    return word.startsWith('connected') ? 'dropped' : 'not-run';
  }
  return word(
    await agents.get(sender)!({ kind: s.proto === 'tcp' ? 'connect' : 'udp', src: s.src, dst: s.dst, port: s.port! }),
  );
}

/** One phase: neighbour discovery first and alone (other traffic would teach the caches), then the rest side by side. */
async function phase(topo: Topology, specs: NetSpec[]): Promise<Verdict[]> {
  const out: Verdict[] = Array(specs.length).fill('dropped');
  const agents = agentsFor(topo);
  for (const [i, s] of specs.entries()) if (s.kind === 'nd') out[i] = await probe(topo, s, agents);
  await Promise.all(
    specs.map(async (s, i) => {
      if (s.kind !== 'nd') out[i] = await probe(topo, s, agents);
    }),
  );
  return out;
}

/** The trace's say on a spec: a drop or reject of any of its packets (either way) first, else its first packet's verdict. */
function decided(trace: ReturnType<typeof parseTrace>, s: NetSpec): TraceVerdict | null {
  const host = hostAddressOf(s);
  const forward = (p: string): boolean => fromTo(p, s.src, s.dst);
  const back = (p: string): boolean => fromTo(p, s.dst, s.src);
  const port = (p: string, dir: 'dport' | 'sport'): boolean =>
    s.port === null || new RegExp(`${dir} ${s.port}\\b`).test(p);
  const matchers: ((p: string) => boolean)[] =
    s.kind === 'nd'
      ? [(p) => /nd-neighbor-(solicit|advert)/.test(p)]
      : s.kind === 'pmtu'
        ? [(p) => /frag-needed|packet-too-big/.test(p) && host !== null && new RegExp(`daddr ${host} `).test(`${p} `)]
        : s.kind === 'echo'
          ? [(p) => forward(p) && /echo-request/.test(p), (p) => back(p) && /echo-reply/.test(p)]
          : [(p) => forward(p) && port(p, 'dport'), (p) => back(p) && port(p, 'sport')];
  const stopped = lastStopped(trace, (p) => matchers.some((m) => m(p)));
  if (stopped) return stopped;
  // An IPv6 flow whose neighbour discovery was dropped never sent a packet of its own: that drop decided.
  const nd = isV6(s.dst) ? lastStopped(trace, (p) => /nd-neighbor-/.test(p)) : null;
  return nd ?? lastVerdict(trace, matchers[0]!);
}

/**
 * Replays flows the inbound probes cannot: outbound, forwarded, ICMP echo, PMTU errors, IPv6 neighbour
 * discovery. In a scratch copy of the host (its base ruleset, interface names and addresses), with a
 * router and the peers behind it, each spec is sent before and after the proposal is swapped in as one
 * transaction; nft's trace names the rule that decided. Results are shaped like the lockout probes'
 * (`must-allow`, description `TAG (…)`), so the same findings code reads them.
 */
export async function replayNetFlows(o: NetReplayOptions): Promise<ProbeResult[]> {
  if (o.probes.length === 0) return [];
  await cleanStale('fwsafe-probe-');
  const tag = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const dir = privateTempDir('fwsafe-flows-');
  // Neighbour discovery is replayed on the link of the host address it names.
  const specs = o.probes.map((p) => (p.spec.kind === 'nd' ? { ...p.spec, src: o.routeOf(p.spec.dst).iface } : p.spec));
  const hostAddrs = [...new Set(specs.map(hostAddressOf).filter((a): a is string => a !== null))];
  const back = new Set(specs.filter((s) => s.direction === 'forward').map((s) => s.dst));
  const peers = [...new Set(specs.flatMap(peersOf))].filter((a) => !hostAddrs.includes(a));
  const children: ChildProcess[] = [];
  let topo: Topology | null = null;
  try {
    topo = await buildTopology({
      tag,
      hostAddrs: hostAddrs.map((addr) => ({ addr, iface: o.routeOf(addr).iface })),
      peers: peers.map((addr) => ({ addr, ...o.routeOf(addr), side: back.has(addr) ? 'back' : 'far' })),
      forwarding: o.forwarding,
    });
    const t = topo;
    const notes = await loadBaseInto(o, t.host, dir, t.ifaces);
    // Responders: echo servers wherever a spec's first packet goes.
    const ports = (ns: string, proto: 'tcp' | 'udp'): string[] => [
      ...new Set(
        specs
          .filter(
            (s) => s.port !== null && endsOf(t, s).responder === ns && (s.kind === 'pmtu' ? 'tcp' : s.proto) === proto,
          )
          .map((s) => String(s.port)),
      ),
    ];
    const listeners = [t.host, t.far, t.back].flatMap((ns) =>
      (
        [
          ['listen', 'tcp'],
          ['listen-udp', 'udp'],
        ] as const
      )
        .filter(([, proto]) => ports(ns, proto).length > 0)
        .map(([role, proto]) => spawnPiped(process.execPath, [AGENT, role, ...ports(ns, proto)], { netns: ns })),
    );
    children.push(...listeners);
    await responding(listeners);
    const before = await phase(t, specs);
    writeFileSync(join(dir, 'trace.nft'), TRACE);
    await run('nft', ['-f', join(dir, 'trace.nft')], { netns: t.host });
    // nft's stdout to a pipe is block-buffered: stdbuf makes each trace line arrive as it happens.
    const monitor = spawnPiped('stdbuf', ['-oL', resolveBinary('nft'), 'monitor', 'trace'], { netns: t.host });
    children.push(monitor);
    const traced = lines(monitor);
    // The monitor subscribes some time after its start: a marker packet until its trace comes through (a
    // single one could go before it listens, and the proposal's verdicts would then go untraced).
    for (let t0 = Date.now(); ; ) {
      await run('ping', ['-c', '1', '-W', '1', '-I', 'lo', '127.0.0.1'], { netns: t.host, allowFailure: true });
      if (await traced.wait('trace id', 500)) break;
      if (Date.now() - t0 > READY_MS)
        throw new Error(`the nft trace monitor showed nothing within ${READY_MS / 1000} s`);
    }
    await swapInto(o, t.host, dir);
    // Fresh neighbour and PMTU caches: after the swap, ARP, ND and PMTU errors must pass the new rules.
    for (const ns of [t.host, t.router]) await run('ip', ['neigh', 'flush', 'all'], { netns: ns, allowFailure: true });
    for (const f of ['-4', '-6'])
      await run('ip', [f, 'route', 'flush', 'cache'], { netns: t.host, allowFailure: true });
    const from = traced.text.length;
    const after = await phase(t, specs);
    const listing = splitTables(
      (await run('nft', ['-a', 'list', 'ruleset'], { netns: t.host, stdoutToFile: true })).stdout,
    );
    const ruleText = (family: string, table: string, handle: number): string | undefined =>
      listing.find((x) => x.family === family && x.name === table)?.rulesByHandle.get(handle);
    const results: ProbeResult[] = [];
    // Only nft base chains show in the trace (not iptables-legacy rules): without one, no deciding rule comes.
    const nftDecides = listing.some((x) => x.name !== 'fwsafe_trace' && /\bhook \w+/.test(x.raw));
    // Trace lines may trail the packets: wait (bounded) until every failed probe's deciding rule is seen.
    for (let waited = 0; waited <= 2000; waited += 100) {
      const trace = parseTrace(traced.text.slice(from), ruleText);
      results.splice(0);
      for (const [i, { tag: id }] of o.probes.entries()) {
        const spec = specs[i]!;
        const seen = decided(trace, spec);
        results.push({
          kind: 'must-allow',
          description: `${id} (${spec.src} → ${spec.dst}${spec.port === null ? '' : `:${spec.port}`})`,
          expected: 'allowed',
          observed: after[i]!,
          before: before[i] === 'not-run' ? null : before[i]!,
          pass: after[i] === 'allowed',
          worse: after[i] !== 'allowed' && after[i] !== 'not-run' && before[i] === 'allowed',
          decidedBy: seen?.decidedBy ?? null,
          verdict: seen?.verdict ?? null,
          rewrite: seen?.rewrite ?? null,
          note: notes.length ? notes.join('; ') : null,
        });
      }
      if (!nftDecides || results.every((r) => r.pass || r.observed === 'not-run' || r.decidedBy !== null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // What the trace cannot see (iptables-legacy rules), the format explains (by the rules' counters).
    await explainUnseen(results, o.format, t.host);
    return results;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    if (topo) await removeTopology(topo);
    rmSync(dir, { recursive: true, force: true });
  }
}
