import { describe, expect, it } from 'vitest';
import { dnatTargets } from '../../../src/probes/nat-targets.js';

describe('dnatTargets', () => {
  it('reads the IPv4 targets of dnat rules, not of commented-out ones', () => {
    const text = [
      'tcp dport 80 dnat to 192.0.2.10:8080 # was dnat to 192.0.2.11',
      '# tcp dport 81 dnat to 192.0.2.12',
      'tcp dport 82 dnat ip to 192.0.2.13 comment "x#y"',
    ].join('\n');
    expect(dnatTargets(text)).toEqual([
      { addr: '192.0.2.10', port: 8080 },
      { addr: '192.0.2.13', port: null },
    ]);
  });
});
