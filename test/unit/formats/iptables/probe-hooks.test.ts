import { describe, expect, it } from 'vitest';
import { destinationPorts } from '../../../../src/formats/iptables/probe-hooks.js';

describe('destinationPorts: which ports an iptables-save rule is limited to', () => {
  it.each([
    ['-A OUTPUT -p udp -m udp --dport 53 -j DROP', [[53, 53]]],
    ['-A INPUT -p tcp -m tcp --dport 1000:2000 -j REJECT', [[1000, 2000]]],
    [
      '-A INPUT -p tcp -m multiport --dports 80,8000:8100 -j DROP',
      [
        [80, 80],
        [8000, 8100],
      ],
    ],
    ['-A INPUT -p tcp -m tcp ! --dport 22 -j DROP', null],
    ['-A INPUT -p tcp -m tcp --sport 53 -j DROP', null],
    ['-A INPUT -s 192.0.2.0/24 -j DROP', null],
  ])('%s', (rule, ports) => expect(destinationPorts(rule)).toEqual(ports));
});
