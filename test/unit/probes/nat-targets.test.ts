import { describe, expect, it } from 'vitest';
import { dnatTargets } from '../../../src/probes/nat-targets.js';
import { loginCandidates } from '../../../src/probes/admins.js';

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

  it('reads nft text and iptables-save lines (iptables-legacy rules are not in the nft text)', () => {
    const text = [
      'iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80',
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 172.17.0.3:443',
      '-A PREROUTING -p tcp --dport 25 -j DNAT --to-destination 10.0.0.5-10.0.0.9:2525-2530',
      '-A PREROUTING -p tcp --dport 53 -j DNAT --to-destination 10.0.0.53',
    ].join('\n');
    expect(dnatTargets(text)).toEqual([
      { addr: '172.17.0.2', port: 80 },
      { addr: '172.17.0.3', port: 443 },
      { addr: '10.0.0.5', port: 2525 },
      { addr: '10.0.0.53', port: null },
    ]);
  });

  it('a DNAT target is never a login candidate, even where another rule names it (docker hairpin MASQUERADE)', () => {
    const text = [
      '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
      '-A INPUT -s 192.0.2.10/32 -p tcp --dport 22 -j ACCEPT',
    ].join('\n');
    const candidates = loginCandidates(text);
    expect(candidates).toContain('192.0.2.10');
    expect(candidates).not.toContain('172.17.0.2');
  });
});
