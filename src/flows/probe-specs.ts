import type { ProbeSpecT } from '../probes/spec.js';
import type { FlowInventoryT } from './schema.js';
import { describeClass, describeDeclared } from './render.js';
import { isV6, type NetSpec } from './net-spec.js';
import { representative } from '../probes/spec.js';

/** A flow replayed through the proposal, and what it means if it breaks. */
export interface ReplayedFlow {
  /** Its probe's tag: the result whose description starts with `TAG (` is its verdict. */
  tag: string;
  origin: 'live' | 'declared' | 'listener' | 'derived';
  /** Breaking it blocks the change (live established flows, declared flows); a listener is a warning. */
  blocking: boolean;
  label: string;
  process: string | null;
  connections: number;
  /** What to do when it is cut, when the generic advice does not fit (PMTU errors, neighbour discovery). */
  fix?: string;
}

/** An inbound TCP/UDP flow: replayed by the lockout probes as a flow that must stay allowed. */
export interface FlowProbe extends ReplayedFlow {
  spec: ProbeSpecT;
}

/** Any other flow: replayed by the network replay (net-replay.ts). */
export interface NetFlowProbe extends ReplayedFlow {
  net: NetSpec;
}

/** Flows that cannot be replayed (SCTP, multicast, tunnels, past the bound): listed as not probed — never as passing. */
export interface UnprobedFlow {
  label: string;
  why: string;
}

export const MAX_FLOW_PROBES = 48;
/** The network replay's own bound (outbound, forwarded, ICMP, PMTU, ND). */
export const MAX_NET_PROBES = 48;

const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
const multicast = (a: string): boolean => /^(22[4-9]|23\d)\./.test(a) || /^ff/i.test(a) || a === '255.255.255.255';
// A stand-in for "anywhere" as the source of a declared forwarded or inbound ICMP flow.
const ANYWHERE = { v4: '198.51.100.10', v6: '2001:db8:100::10' };
const UNREPLAYABLE: Record<string, string> = {
  sctp: 'SCTP is not replayed',
  dccp: 'DCCP is not replayed',
  udplite: 'UDP-Lite is not replayed',
  gre: 'a GRE tunnel is not modelled',
  other: 'this protocol (a tunnel, IPsec…) is not modelled',
};

/**
 * The inventory as flows to replay: inbound TCP/UDP as probe specs (live classes first, then declared
 * flows, then listening services; at most MAX_FLOW_PROBES), everything else — outbound, forwarded, ICMP
 * echo, PMTU errors for the first TCP flow of each family, IPv6 neighbour discovery when IPv6 is in use —
 * as network replays (at most MAX_NET_PROBES). What cannot be replayed is returned as not probed, with why.
 */
export function flowProbes(inv: FlowInventoryT): {
  probes: FlowProbe[];
  net: NetFlowProbe[];
  unprobed: UnprobedFlow[];
} {
  const probes: FlowProbe[] = [];
  const net: NetFlowProbe[] = [];
  const unprobed: UnprobedFlow[] = [];
  const seen = new Set<string>();
  const add = (p: Omit<FlowProbe, 'tag'>): void => {
    const key = `${p.spec.proto} ${p.spec.from} ${p.spec.to} ${p.spec.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (probes.length >= MAX_FLOW_PROBES)
      unprobed.push({ label: p.label, why: `more than ${MAX_FLOW_PROBES} flows to replay` });
    // A neutral tag as the probe's text: the probes read the first `a → b:port` of a description as its packet.
    else
      probes.push({ ...p, tag: `flow#${probes.length + 1}`, spec: { ...p.spec, text: `flow#${probes.length + 1}` } });
  };
  const addNet = (p: Omit<NetFlowProbe, 'tag'>): void => {
    const key = `${p.net.kind} ${p.net.proto} ${p.net.src} ${p.net.dst} ${p.net.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (net.length >= MAX_NET_PROBES)
      unprobed.push({ label: p.label, why: `more than ${MAX_NET_PROBES} flows to replay` });
    else net.push({ ...p, tag: `net#${net.length + 1}` });
  };
  // One address of a prefix that is not the host's own (a /24's first host is often the host itself).
  const peerIn = (prefix: string, fallback: string): string => {
    const [base, len] = prefix.split('/');
    if (len === undefined) return prefix;
    for (let n = 1; n < 64; n += 1) {
      const a = isV6(base!)
        ? base!.endsWith('::')
          ? `${base}${n.toString(16)}`
          : representative(prefix, fallback)
        : representative(
            `${base!.split('.').slice(0, 3).join('.')}.${(Number(base!.split('.')[3]) + n - 1) & 255}/${len}`,
            fallback,
          );
      if (!inv.localAddresses.includes(a)) return a;
    }
    return representative(prefix, fallback);
  };
  const own = inv.localAddresses.filter((a) => !a.startsWith('127.') && a !== '::1' && !/^fe80:/i.test(a));
  const hostAddr = (v6: boolean): string | null => own.find((a) => isV6(a) === v6) ?? null;
  // PMTU errors matter to TCP: one replay per family, for the first outbound (else inbound) TCP flow.
  const pmtu = new Map<boolean, Omit<NetFlowProbe, 'tag'>>();
  const tcpFlow = (
    p: Omit<NetFlowProbe, 'tag' | 'net'>,
    direction: 'in' | 'out',
    src: string,
    dst: string,
    port: number,
  ): void => {
    // An outbound flow first: its PMTU errors come from a router on the way, as they do live.
    if (pmtu.has(isV6(dst)) && !(direction === 'out' && pmtu.get(isV6(dst))!.net.direction === 'in')) return;
    pmtu.set(isV6(dst), {
      ...p,
      origin: 'derived',
      label: `${isV6(dst) ? 'ICMPv6 packet-too-big' : 'ICMP fragmentation-needed'} errors for ${p.label}`,
      net: { kind: 'pmtu', proto: 'tcp', direction, src, dst, port },
      fix: `Accept ${isV6(dst) ? 'icmpv6 type packet-too-big' : 'icmp type destination-unreachable'} (or \`ct state related\`) before the rule that drops it: without it, full-size packets of this flow vanish (a PMTU black hole).`,
    });
  };
  for (const c of inv.classes) {
    const label = describeClass(c);
    const base = {
      origin: 'live' as const,
      blocking: c.established > 0,
      label,
      process: c.process,
      connections: c.connections,
    };
    if (UNREPLAYABLE[c.proto]) {
      unprobed.push({ label, why: UNREPLAYABLE[c.proto]! });
      continue;
    }
    if (multicast(c.sample) || multicast(c.local)) {
      unprobed.push({ label, why: 'multicast and broadcast flows are not replayed' });
      continue;
    }
    const [src, dst] = c.direction === 'in' ? [c.sample, c.local] : [c.local, c.sample];
    if (c.proto === 'icmp' || c.proto === 'icmpv6') {
      addNet({ ...base, net: { kind: 'echo', proto: c.proto, direction: c.direction, src, dst, port: null } });
      continue;
    }
    if ((c.proto !== 'tcp' && c.proto !== 'udp') || c.port === null) {
      unprobed.push({ label, why: `${c.proto} flows without a port are not replayed` });
      continue;
    }
    if (c.direction === 'in')
      // From a real client of the class: a prefix's first address could be the host's own.
      add({ ...base, spec: { proto: c.proto, port: c.port, from: c.sample, to: c.local, text: label } });
    else
      addNet({ ...base, net: { kind: c.direction, proto: c.proto, direction: c.direction, src, dst, port: c.port } });
    if (c.proto === 'tcp' && c.direction !== 'forward') tcpFlow(base, c.direction, src, dst, c.port);
  }
  for (const f of inv.declared) {
    const label = describeDeclared(f);
    const base = { origin: 'declared' as const, blocking: true, label, process: null, connections: 0 };
    // Unwritten: to this host is inbound; from elsewhere through a host that routes is forwarded; else outbound.
    const direction =
      f.direction ??
      (f.to === null || inv.localAddresses.includes(f.to)
        ? 'in'
        : f.from !== null && !inv.localAddresses.includes(f.from) && (inv.forwarding.ipv4 || inv.forwarding.ipv6)
          ? 'forward'
          : 'out');
    const v6 = f.proto === 'icmpv6' || [f.to, f.from].some((a) => a !== null && isV6(a));
    const here = hostAddr(v6);
    const anywhere = v6 ? ANYWHERE.v6 : ANYWHERE.v4;
    const peerFrom = f.from ? peerIn(f.from, anywhere) : anywhere;
    if (direction === 'in' && (f.proto === 'tcp' || f.proto === 'udp') && f.port !== null) {
      add({ ...base, spec: { proto: f.proto, port: f.port, from: f.from, to: f.to, text: label } });
      if (f.proto === 'tcp' && here) tcpFlow(base, 'in', peerFrom, f.to ?? here, f.port);
      continue;
    }
    const src = direction === 'out' ? (f.from ? representative(f.from, here ?? '') : here) : peerFrom;
    const dst = direction === 'in' ? (f.to ?? here) : f.to === null ? null : peerIn(f.to, '');
    if (!src || !dst) {
      unprobed.push({ label, why: `no ${v6 ? 'IPv6' : 'IPv4'} address of this host to replay it from` });
      continue;
    }
    if (multicast(dst)) {
      unprobed.push({ label, why: 'multicast and broadcast flows are not replayed' });
      continue;
    }
    if (f.proto === 'icmp' || f.proto === 'icmpv6')
      addNet({ ...base, net: { kind: 'echo', proto: f.proto, direction, src, dst, port: null } });
    else if (f.port !== null && direction !== 'in') {
      addNet({ ...base, net: { kind: direction, proto: f.proto, direction, src, dst, port: f.port } });
      if (f.proto === 'tcp' && direction === 'out') tcpFlow(base, 'out', src, dst, f.port);
    }
  }
  for (const l of inv.listeners) {
    if (l.address.startsWith('127.') || l.address === '::1') continue;
    const label = `${l.proto} listener ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}${l.process ? ` (${l.process})` : ''}`;
    add({
      spec: { proto: l.proto, port: l.port, from: null, to: wildcard(l.address) ? null : l.address, text: label },
      origin: 'listener',
      blocking: false,
      label,
      process: l.process,
      connections: 0,
    });
  }
  for (const p of pmtu.values()) addNet(p);
  // Neighbour discovery carries all of IPv6 on a link: replayed when the flows use IPv6.
  const v6Here = net.find((p) => p.net.direction !== 'forward' && isV6(p.net.src))?.net;
  const v6Own = v6Here
    ? v6Here.direction === 'in'
      ? v6Here.dst
      : v6Here.src
    : probes.find((p) => p.spec.to && isV6(p.spec.to))?.spec.to;
  if (v6Own)
    addNet({
      origin: 'derived',
      blocking: [...probes, ...net].some(
        (p) => p.blocking && (('spec' in p && p.spec.to && isV6(p.spec.to)) || ('net' in p && isV6(p.net.dst))),
      ),
      label: `IPv6 neighbour discovery on the link of ${v6Own}`,
      process: null,
      connections: 0,
      net: { kind: 'nd', proto: 'icmpv6', direction: 'in', src: '', dst: v6Own, port: null },
      fix: 'Accept icmpv6 types nd-neighbor-solicit and nd-neighbor-advert (and nd-router-advert) before any drop, in input and output: without them no IPv6 packet leaves or reaches the link.',
    });
  return { probes, net, unprobed };
}
