import { describe, expect, it } from 'vitest';
import { parseDbusString, parseZones } from '../../../src/backends/firewalld.js';

describe('parseZones (firewall-cmd --list-all-zones)', () => {
  it('marks, lists and multi-line rich rules', () => {
    const text = [
      'block',
      '  target: %%REJECT%%',
      '  interfaces: ',
      '  services: ',
      '  rich rules: ',
      '',
      'public (default, active)',
      '  target: default',
      '  interfaces: lo veth0',
      '  sources: ',
      '  services: dhcpv6-client http ssh',
      '  ports: 8080/tcp 53/udp',
      '  forward-ports: ',
      '  rich rules: ',
      '\trule family="ipv4" source address="198.51.100.7" drop',
      '\trule family="ipv4" source address="198.51.100.8" accept',
      '',
      'trusted (active)',
      '  sources: 203.0.113.0/24',
      '',
    ].join('\n');
    const zones = parseZones(text);
    expect(zones.map((z) => [z.name, z.active, z.isDefault])).toEqual([
      ['block', false, false],
      ['public', true, true],
      ['trusted', true, false],
    ]);
    expect(zones[1]).toMatchObject({
      interfaces: ['lo', 'veth0'],
      services: ['dhcpv6-client', 'http', 'ssh'],
      ports: ['8080/tcp', '53/udp'],
      richRules: [
        'rule family="ipv4" source address="198.51.100.7" drop',
        'rule family="ipv4" source address="198.51.100.8" accept',
      ],
    });
    expect(zones[2]!.sources).toEqual(['203.0.113.0/24']);
  });
});
describe('parseDbusString (dbus-send --print-reply)', () => {
  it('the string of a property or a method reply; null when there is none', () => {
    expect(
      parseDbusString(
        'method return time=1.2 sender=:1.0 -> destination=:1.2 serial=904 reply_serial=2\n   variant       string "RUNNING"\n',
      ),
    ).toBe('RUNNING');
    expect(
      parseDbusString(
        'method return time=1.3 sender=:1.0 -> destination=:1.3 serial=909 reply_serial=2\n   string "public"\n',
      ),
    ).toBe('public');
    expect(parseDbusString('')).toBeNull();
    expect(parseDbusString('method return time=1 sender=:1.0\n   boolean true\n')).toBeNull();
  });
});
