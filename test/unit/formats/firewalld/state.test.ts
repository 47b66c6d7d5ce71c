import { describe, expect, it } from 'vitest';
import {
  diffStates,
  forwardOps,
  inverseOps,
  mismatches,
  parseListAll,
  type FirewalldStateT,
} from '../../../../src/formats/firewalld/state.js';
import { inSource, zoneOf, zoneFindings } from '../../../../src/formats/firewalld/findings.js';

const LIST = `public (active)
  target: default
  icmp-block-inversion: no
  interfaces: eth0
  sources: 
  services: dhcpv6-client ssh
  ports: 8443/tcp
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
	port=80:proto=tcp:toport=8080:toaddr=
  source-ports: 
  icmp-blocks: 
  rich rules: 
	rule family="ipv4" source address="192.0.2.0/24" service name="ssh" accept

internal
  target: default
  interfaces: 
  sources: 10.0.0.0/8
  services: ssh
`;

const state = (zones: FirewalldStateT['zones'], def = 'public'): FirewalldStateT => ({
  defaultZone: def,
  zones,
  policies: {},
});

describe('firewalld state', () => {
  it('parses --list-all-zones, multi-line forward ports and rich rules included', () => {
    const z = parseListAll(LIST);
    expect(z.public).toMatchObject({
      interface: ['eth0'],
      service: ['dhcpv6-client', 'ssh'],
      port: ['8443/tcp'],
      forward: ['yes'],
      masquerade: [],
      'forward-port': ['port=80:proto=tcp:toport=8080:toaddr='],
      'rich-rule': ['rule family="ipv4" source address="192.0.2.0/24" service name="ssh" accept'],
      target: ['default'],
    });
    expect(z.internal!.source).toEqual(['10.0.0.0/8']);
  });

  it('inverse operations undo exactly the diff: items, moves of sources, flags, default zone', () => {
    const before = state({
      public: { service: ['ssh', 'cockpit'], masquerade: [], source: [] },
      internal: { source: ['10.0.0.0/8'], service: [] },
    });
    const after = state(
      {
        public: { service: ['ssh', 'https'], masquerade: ['yes'], source: ['10.0.0.0/8'] },
        internal: { source: [], service: [] },
      },
      'internal',
    );
    const d = diffStates(before, after);
    expect(inverseOps(d)).toEqual([
      ['--zone=public', '--remove-service=https'],
      ['--zone=public', '--remove-masquerade'],
      ['--zone=internal', '--change-source=10.0.0.0/8'],
      ['--zone=public', '--add-service=cockpit'],
      ['--set-default-zone=public'],
    ]);
    expect(forwardOps(d)).toContainEqual(['--zone=public', '--change-source=10.0.0.0/8']);
    expect(mismatches(after, d, 'after')).toEqual([]);
    expect(mismatches(before, d, 'before')).toEqual([]);
    // Someone else's item added meanwhile is not in the diff: not checked, not touched.
    const others = state({ ...after.zones, public: { ...after.zones.public!, port: ['8443/tcp'] } }, 'internal');
    expect(mismatches(others, d, 'after')).toEqual([]);
    expect(mismatches(before, d, 'after')).toContain('zone public: service https missing');
  });

  it("finds the admin's zone by source, then interface, then default; ssh removed there is blocking", () => {
    expect(inSource('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inSource('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(inSource('2001:db8::5', '2001:db8::/32')).toBe(true);
    expect(inSource('2001:db9::5', '2001:db8::/32')).toBe(false);
    const before = state({ public: { service: ['ssh'] }, internal: { source: ['10.0.0.0/8'], service: ['ssh'] } });
    expect(zoneOf(before, '10.1.1.1', null).zone).toBe('internal');
    expect(zoneOf(before, '192.0.2.1', null).zone).toBe('public');
    const after = state({ public: { service: [] }, internal: { source: ['10.0.0.0/8'], service: ['ssh'] } });
    const d = diffStates(before, after);
    const ssh = (client: string) => ({ client, clientPort: 5000, server: '10.255.0.1', serverPort: 22 });
    const f = (client: string) =>
      zoneFindings({ before, after, diff: d, ssh: ssh(client), ifname: null, sshPorts: [22], noOps: [] });
    expect(f('192.0.2.1').map((x) => x.code)).toEqual(['FIREWALLD_SSH_REMOVED']);
    // An admin coming from internal's source keeps ssh: nothing blocking.
    expect(f('10.1.1.1').filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('a plan file cannot smuggle an operation fwsafe would refuse (the schema re-checks every argv)', async () => {
    const { isStageableArgv } = await import('../../../../src/formats/firewalld/operations.js');
    for (const good of [
      ['--zone=public', '--add-service=https'],
      ['--zone=dmz', '--add-masquerade'],
      ['--zone=internal', '--change-source=10.0.0.0/8'],
      ['--policy=p', '--add-ingress-zone=public'],
      ['--set-default-zone=home'],
    ]) {
      expect(isStageableArgv(good), good.join(' ')).toBe(true);
    }
    for (const bad of [
      ['--reload'],
      ['--runtime-to-permanent'],
      ['--zone=public', '--reload'],
      ['--direct', '--add-rule'],
      ['--permanent', '--add-service=x'],
      ['--zone=public', '--add-service=x', '--reload'],
      ['--zone=public', '--add-masquerade=yes'],
      ['--policy=p', '--add-interface=eth0'],
      ['--zone=public', '--add-port=70000/tcp'],
      ['--panic-on'],
    ]) {
      expect(isStageableArgv(bad), bad.join(' ')).toBe(false);
    }
  });
});
