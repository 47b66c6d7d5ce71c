import { it } from 'vitest';
import { replayNetFlows } from '../../src/flows/net-replay.js';
import { BASE_RULESET } from '../helpers/flow-lab.js';
it('dbg2', async () => {
  const ifs: Record<string, string> = { '10.71.0.1': 'lan', '10.72.0.1': 'wan', '10.73.0.53': 'wan', 'fd71::1': 'lan', 'fd71::5': 'lan', '10.71.0.11': 'lan', '10.74.0.10': 'be' };
  const r = await replayNetFlows({
    baseText: BASE_RULESET.replace('flush ruleset\n', ''),
    proposalText: process.env.PROP ?? 'insert rule inet filter input icmpv6 type nd-neighbor-solicit drop\n',
    probes: [
      { tag: 'a', spec: { kind: 'out', proto: 'udp', direction: 'out', src: '10.71.0.1', dst: '10.73.0.53', port: 53 } },
      { tag: 'b', spec: { kind: 'out', proto: 'udp', direction: 'out', src: '10.72.0.1', dst: '10.73.0.53', port: 53 } },
      { tag: 'c', spec: { kind: 'echo', proto: 'icmpv6', direction: 'in', src: 'fd71::5', dst: 'fd71::1', port: null } },
      { tag: 'd', spec: { kind: 'nd', proto: 'icmpv6', direction: 'in', src: '', dst: 'fd71::1', port: null } },
      { tag: 'e', spec: { kind: 'forward', proto: 'tcp', direction: 'forward', src: '10.71.0.11', dst: '10.74.0.10', port: 8080 } },
      { tag: 'f', spec: { kind: 'pmtu', proto: 'tcp', direction: 'out', src: '10.72.0.1', dst: '10.73.0.53', port: 853 } },
    ],
    routeOf: (a) => ({ iface: ifs[a] ?? 'eth0', via: a === '10.73.0.53' ? '10.72.0.2' : null }),
    forwarding: { ipv4: true, ipv6: false },
  });
  for (const x of r) console.log(x.description, x.before, x.observed, x.decidedBy);
}, 120000);
