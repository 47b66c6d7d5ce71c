import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../../src/flows/conntrack.js';
import { listenersOf, parseSockets } from '../../../src/flows/sockets.js';
import { classify } from '../../../src/flows/classify.js';
import { clientPrefix, inPrefix } from '../../../src/flows/address.js';

// As conntrack 1.4.7 prints them here (`-o extended`; packets= with nf_conntrack_acct=1).
const CONNTRACK = [
  'ipv4     2 tcp      6 431999 ESTABLISHED src=10.77.0.2 dst=10.77.0.1 sport=60488 dport=9100 packets=5 bytes=300 src=10.77.0.1 dst=10.77.0.2 sport=9100 dport=60488 packets=4 bytes=400 [ASSURED] mark=0 use=1',
  'ipv4     2 tcp      6 119 TIME_WAIT src=10.77.0.3 dst=10.77.0.1 sport=50000 dport=9100 packets=6 bytes=300 src=10.77.0.1 dst=10.77.0.3 sport=9100 dport=50000 packets=4 bytes=400 [ASSURED] mark=0 use=1',
  'ipv4     2 udp      17 29 src=10.77.0.1 dst=10.77.9.53 sport=41000 dport=53 [UNREPLIED] src=10.77.9.53 dst=10.77.0.1 sport=53 dport=41000 mark=0 zone=3 use=1',
  'ipv4     2 icmp     1 29 src=10.77.0.2 dst=10.77.0.1 type=8 code=0 id=7 src=10.77.0.1 dst=10.77.0.2 type=0 code=0 id=7 mark=0 use=1',
  'ipv6     10 tcp      6 300 ESTABLISHED src=2001:db8:1::2 dst=2001:db8:2::5 sport=40000 dport=5432 src=2001:db8:2::5 dst=2001:db8:1::2 sport=5432 dport=40000 [ASSURED] mark=0 use=1',
  'ipv4     2 unknown  47 599 src=10.77.0.2 dst=10.77.0.1 src=10.77.0.1 dst=10.77.0.2 mark=0 use=1',
  'conntrack v1.4.7 (conntrack-tools): 6 flow entries have been shown.',
].join('\n');

const SS = [
  'tcp   LISTEN 0      5           0.0.0.0:9100       0.0.0.0:*     users:(("node_exporter",pid=4242,fd=5))',
  'tcp   LISTEN 0      128            [::]:22            [::]:*     users:(("sshd",pid=100,fd=4))',
  'udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*     users:(("resolved",pid=55,fd=12))',
  'udp   ESTAB  0      0         10.77.0.1:41000  10.77.9.53:53     users:(("dig",pid=77,fd=3))',
  'tcp   ESTAB  0      0         10.77.0.1:9100    10.77.0.2:60488  users:(("node_exporter",pid=4242,fd=7))',
].join('\n');

describe('flow inventory parsers', () => {
  it('reads conntrack entries in their original direction, packets of both directions', () => {
    const e = parseConntrack(CONNTRACK);
    expect(e).toHaveLength(6);
    expect(e[0]).toEqual({
      family: 'ipv4',
      proto: 'tcp',
      src: '10.77.0.2',
      dst: '10.77.0.1',
      sport: 60488,
      dport: 9100,
      packets: 9,
      assured: true,
      zone: null,
    });
    expect(e[2]).toMatchObject({ proto: 'udp', dport: 53, assured: false, zone: 3, packets: null });
    expect(e[3]).toMatchObject({ proto: 'icmp', sport: null, dport: null });
    expect(e[5]!.proto).toBe('other');
  });

  it('reads ss sockets and keeps the listeners', () => {
    const sockets = parseSockets(SS);
    expect(sockets).toHaveLength(5);
    expect(listenersOf(sockets)).toEqual([
      { proto: 'tcp', address: '::', port: 22, process: 'sshd', pid: 100 },
      { proto: 'udp', address: '127.0.0.53', port: 53, process: 'resolved', pid: 55 },
      { proto: 'tcp', address: '0.0.0.0', port: 9100, process: 'node_exporter', pid: 4242 },
    ]);
  });

  it('groups flows into classes a rule would match, biggest first, with their processes', () => {
    const sockets = parseSockets(SS);
    const local = new Set(['10.77.0.1', '127.0.0.1']);
    const { classes, omitted } = classify(parseConntrack(CONNTRACK), {
      local,
      listeners: listenersOf(sockets),
      sockets,
      top: 3,
    });
    // Four classes past the top 3: a protocol conntrack does not name (GRE here) is a class too, to list as not probed.
    expect(omitted).toBe(2);
    expect(classes[0]).toMatchObject({
      proto: 'tcp',
      direction: 'in',
      peer: '10.77.0.0/24',
      sample: '10.77.0.2',
      local: '10.77.0.1',
      port: 9100,
      connections: 2,
      established: 2,
      packets: 19,
      process: 'node_exporter',
    });
    expect(classes.map((c) => `${c.proto} ${c.direction} ${c.peer}`)).toEqual([
      'tcp in 10.77.0.0/24',
      'icmp in 10.77.0.0/24',
      'other in 10.77.0.0/24',
    ]);
    const all = classify(parseConntrack(CONNTRACK), {
      local,
      listeners: listenersOf(sockets),
      sockets,
      top: 10,
    }).classes;
    expect(all.find((c) => c.proto === 'other')).toMatchObject({ direction: 'in', port: null });
    expect(all.find((c) => c.proto === 'udp')).toMatchObject({
      direction: 'out',
      peer: '10.77.9.53',
      port: 53,
      zone: 3,
      process: 'dig',
    });
    expect(all.find((c) => c.direction === 'forward')).toMatchObject({
      proto: 'tcp',
      family: 'ipv6',
      peer: '2001:db8:2::5',
      port: 5432,
      process: null,
    });
  });

  it('addresses: client prefixes and IPv4-mapped IPv6 (node:net BlockList)', () => {
    expect(clientPrefix('192.0.2.77')).toBe('192.0.2.0/24');
    expect(clientPrefix('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(inPrefix('::ffff:192.0.2.1', '192.0.2.0/24')).toBe(true);
    expect(inPrefix('192.0.3.1', '192.0.2.0/24')).toBe(false);
    expect(inPrefix('2001:db8::1', '2001:db8::/32')).toBe(true);
  });
});
