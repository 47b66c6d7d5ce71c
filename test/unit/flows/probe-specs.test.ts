import { describe, expect, it } from 'vitest';
import { flowProbes, MAX_FLOW_PROBES } from '../../../src/flows/probe-specs.js';
import type { FlowInventoryT } from '../../../src/flows/schema.js';

const inv = (over: Partial<FlowInventoryT> = {}): FlowInventoryT => ({
  netns: null,
  collectedAt: '2026-11-29T00:00:00Z',
  durationMs: 1,
  conntrack: 'tracked',
  localAddresses: ['10.0.0.1', '127.0.0.1'],
  forwarding: { ipv4: false, ipv6: false },
  classes: [],
  omittedClasses: 0,
  listeners: [],
  declared: [],
  declaredFrom: null,
  ...over,
});
const cls = (o: Partial<FlowInventoryT['classes'][number]>): FlowInventoryT['classes'][number] => ({
  proto: 'tcp',
  direction: 'in',
  family: 'ipv4',
  peer: '10.0.9.0/24',
  sample: '10.0.9.7',
  local: '10.0.0.1',
  port: 9100,
  zone: null,
  connections: 3,
  packets: null,
  established: 2,
  process: 'node_exporter',
  ...o,
});

describe('flows to replay', () => {
  it('inbound live classes, declared inbound flows and listeners become probes; live established and declared ones block', () => {
    const { probes, net, unprobed } = flowProbes(
      inv({
        classes: [
          cls({}),
          cls({ proto: 'udp', port: 53, established: 0, process: 'dnsd' }),
          cls({ direction: 'out', peer: '10.0.0.2', local: '10.0.0.1', port: 5432 }),
          cls({ proto: 'icmp', port: null }),
        ],
        declared: [
          { proto: 'tcp', from: '10.0.0.0/24', to: null, port: 2049, name: 'nfs', direction: null, line: 1 },
          { proto: 'udp', from: null, to: '10.0.0.2', port: 53, name: 'dns', direction: null, line: 2 },
        ],
        listeners: [
          { proto: 'tcp', address: '0.0.0.0', port: 9100, process: 'node_exporter', pid: 1 },
          { proto: 'tcp', address: '0.0.0.0', port: 80, process: 'nginx', pid: 2 },
          { proto: 'udp', address: '127.0.0.53', port: 53, process: 'resolved', pid: 3 },
        ],
      }),
    );
    expect(probes.map((p) => [p.origin, p.spec.proto, p.spec.from, p.spec.to, p.spec.port, p.blocking])).toEqual([
      ['live', 'tcp', '10.0.9.7', '10.0.0.1', 9100, true],
      ['live', 'udp', '10.0.9.7', '10.0.0.1', 53, false],
      ['declared', 'tcp', '10.0.0.0/24', null, 2049, true],
      ['listener', 'tcp', null, null, 9100, false],
      ['listener', 'tcp', null, null, 80, false],
    ]);
    // Outbound, ICMP and declared outbound flows are network replays now; PMTU rides on the first outbound TCP flow.
    expect(net.map((p) => [p.origin, p.net.kind, p.net.proto, p.net.src, p.net.dst, p.net.port])).toEqual([
      ['live', 'out', 'tcp', '10.0.0.1', '10.0.9.7', 5432],
      ['live', 'echo', 'icmp', '10.0.9.7', '10.0.0.1', null],
      ['declared', 'out', 'udp', '10.0.0.1', '10.0.0.2', 53],
      ['derived', 'pmtu', 'tcp', '10.0.0.1', '10.0.9.7', 5432],
    ]);
    expect(net.every((p) => /^net#\d+$/.test(p.tag))).toBe(true);
    expect(unprobed).toEqual([]);
  });

  it('lists SCTP, tunnels and multicast as not probed, never as passing; IPv6 in use adds neighbour discovery', () => {
    const { net, unprobed } = flowProbes(
      inv({
        localAddresses: ['10.0.0.1', '2001:db8::1'],
        classes: [
          cls({ proto: 'sctp', port: 3868 }),
          cls({ proto: 'gre', port: null }),
          cls({ proto: 'other', port: null }),
          cls({ proto: 'udp', direction: 'out', sample: '239.1.1.1', peer: '239.1.1.1', port: 5000 }),
          cls({
            family: 'ipv6',
            proto: 'icmpv6',
            peer: '2001:db8::/64',
            sample: '2001:db8::9',
            local: '2001:db8::1',
            port: null,
          }),
        ],
        declared: [
          { proto: 'tcp', from: '10.0.0.0/24', to: '10.0.5.5', port: 8080, name: 'be', direction: 'forward', line: 1 },
        ],
      }),
    );
    expect(unprobed.map((u) => u.why)).toEqual([
      'SCTP is not replayed',
      'a GRE tunnel is not modelled',
      'this protocol (a tunnel, IPsec…) is not modelled',
      'multicast and broadcast flows are not replayed',
    ]);
    // The forwarded flow is replayed from a client of its prefix that is not the host's own address.
    expect(net.map((p) => `${p.net.kind} ${p.net.src} ${p.net.dst}`)).toEqual([
      'echo 2001:db8::9 2001:db8::1',
      'forward 10.0.0.2 10.0.5.5',
      'nd  2001:db8::1',
    ]);
  });

  it('is bounded: past the limit flows are listed as not probed, never dropped silently', () => {
    const classes = Array.from({ length: MAX_FLOW_PROBES + 5 }, (_, i) => cls({ port: 1000 + i }));
    const { probes, unprobed } = flowProbes(inv({ classes }));
    expect(probes).toHaveLength(MAX_FLOW_PROBES);
    expect(unprobed).toHaveLength(5);
  });
});
