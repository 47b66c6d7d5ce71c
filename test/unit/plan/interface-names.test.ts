import { describe, expect, it } from 'vitest';
import { indexedInterfaces, interfacesNeeded } from '../../../src/plan/interface-names.js';

describe('interface names a ruleset needs', () => {
  it('iif/oif: quoted, bare, anonymous sets, vmaps and $variables from defines; lo and comments ignored', () => {
    const text = [
      'define LAN = "eth1"',
      'define UPLINKS = { "wan0", "wan1" }',
      '# iif "notme" in a comment',
      'add rule inet filter input iif "wg0" accept',
      'add rule inet filter input iif lo accept',
      'add rule inet filter forward oif { "br0", tap3 } accept',
      'add rule inet filter input iif $LAN accept',
      'add rule inet filter forward oif $UPLINKS accept',
      'add rule inet filter input iif vmap { "eth9" : accept, "eth8" : drop }',
      'add rule inet filter input iifname "ppp*" accept',
      'define DMZ = "dmz0"',
      'add rule inet filter input iif vmap { $DMZ : drop }',
    ].join('\n');
    expect(indexedInterfaces(text)).toEqual(['br0', 'dmz0', 'eth1', 'eth8', 'eth9', 'tap3', 'wan0', 'wan1', 'wg0']);
  });
  it('the scratch copy also needs netdev and flowtable devices', () => {
    const text =
      'table netdev ing { chain c { type filter hook ingress device "eth7" priority 0; }; }\ntable inet ft { flowtable f { hook ingress priority 0; devices = { eth5, eth6 }; }; }\n# the device is here\n';
    expect(interfacesNeeded(text)).toEqual(['eth5', 'eth6', 'eth7']);
    expect(indexedInterfaces(text)).toEqual([]);
  });
});

describe('devices named by netdev fwd / dup (issue 22)', () => {
  it('fwd to and dup to a device need it; dup to a gateway address does not', () => {
    const text =
      'table netdev d {\n chain c {\n  type filter hook ingress device "cf0" priority 0;\n  ip daddr 192.0.2.1 dup to "cf1"\n  fwd to cf2\n }\n}\ntable ip x { chain p { ip daddr 192.0.2.7 dup to 192.0.2.8 device "cf3"; dup to 2001:db8::1; } }\n';
    expect(interfacesNeeded(text)).toEqual(['cf0', 'cf1', 'cf2', 'cf3']);
  });
});

describe('fib lookups are not interface names (issue 22)', () => {
  it('`fib saddr . iif oif missing`, `fib daddr . iif type`, `fib saddr . mark oif 0` name no device', () => {
    const text =
      'fib saddr . iif oif missing drop\nfib daddr . iif type != local drop\nfib saddr . mark oif 0 counter\nfib daddr type { broadcast, multicast } counter\niif "eth3" accept\n';
    expect(indexedInterfaces(text)).toEqual(['eth3']);
  });
});

describe('comments are cut where nft cuts them (the scanner of src/ruleset/scan.ts)', () => {
  it('a # inside a string hides nothing after it; a # touching a word starts a comment', () => {
    const text = [
      'add rule inet f forward iif "eth1" comment "see #3" oif "eth9" accept',
      'add rule inet f forward iif "eth2" accept#oif "eth3"',
    ].join('\n');
    expect(indexedInterfaces(text)).toEqual(['eth1', 'eth2', 'eth9']);
  });
});
