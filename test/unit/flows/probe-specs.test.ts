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
    const { probes, unprobed } = flowProbes(
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
    expect(unprobed.map((u) => u.why)).toEqual([
      'outbound flows are not replayed yet',
      'icmp flows are not replayed yet',
      'outbound and forwarded flows are not replayed yet',
    ]);
  });

  it('is bounded: past the limit flows are listed as not probed, never dropped silently', () => {
    const classes = Array.from({ length: MAX_FLOW_PROBES + 5 }, (_, i) => cls({ port: 1000 + i }));
    const { probes, unprobed } = flowProbes(inv({ classes }));
    expect(probes).toHaveLength(MAX_FLOW_PROBES);
    expect(unprobed).toHaveLength(5);
  });
});
