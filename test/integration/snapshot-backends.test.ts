import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { inNetns, isRoot, liveRuleset, loadRuleset, useNetns } from '../helpers/netns.js';

describe.skipIf(!isRoot)('fwsafe snapshot of every backend (real kernel, throwaway namespaces)', () => {
  const ns = useNetns('snapbk');
  const state = useStateDir();
  let fw: ConfinedFirewalld | null = null;
  afterEach(() => {
    fw?.stop();
    fw = null;
  });
  const snap = (env: Record<string, string> = {}): any => {
    const r = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'snapshot', '--json'], { env });
    expect(r.status, r.stderr).toBe(0);
    return r.json;
  };
  const show = (id: number): any => fwsafe(['--state-dir', state.path, 'show', String(id), '--json']).json;

  it('records iptables-legacy rules with counters (iptables-save -c); legacy rules count in the content hash', async () => {
    loadRuleset(
      ns.name,
      'table inet filter {\n  chain input { type filter hook input priority 0; policy accept; tcp dport 22 accept; }\n}\n',
    );
    inNetns(ns.name, 'iptables-legacy', ['-w', '-A', 'INPUT', '-s', '203.0.113.5', '-j', 'DROP']);
    inNetns(ns.name, 'ip6tables-legacy', ['-w', '-A', 'INPUT', '-s', '2001:db8::5', '-j', 'DROP']);
    const first = snap();
    await expectContract('snapshot', first);
    expect(first.version.summary).toMatchObject({ iptablesLegacy: true, nftTables: 1, firewalld: false });
    const shown = show(first.version.id);
    await expectContract('show', shown);
    expect(shown.snapshot.iptablesLegacy.v4).toMatch(/^\[\d+:\d+\] -A INPUT -s 203\.0\.113\.5\/32 -j DROP$/m);
    expect(shown.snapshot.iptablesLegacy.v6).toMatch(/-A INPUT -s 2001:db8::5\/128 -j DROP/);
    expect(shown.snapshot.firewalld).toBeNull();

    // Counters of legacy rules change, rules do not: same hash.
    inNetns(ns.name, 'iptables-legacy', ['-w', '-Z']);
    expect(snap().version.hash).toBe(first.version.hash);
    // A legacy rule alone (nft unchanged) changes the hash.
    const nftBefore = liveRuleset(ns.name);
    inNetns(ns.name, 'iptables-legacy', ['-w', '-A', 'INPUT', '-s', '203.0.113.6', '-j', 'DROP']);
    const third = snap();
    expect(liveRuleset(ns.name)).toBe(nftBefore);
    expect(third.version.hash).not.toBe(first.version.hash);
    expect(third.sameAsVersion).toBeNull();
  });

  it('records iptables-nft tables with iptables-nft-save -c: comments and xt matches kept, which nft text drops', async () => {
    const ipt = (args: string[]): string => inNetns(ns.name, 'iptables-nft', ['-w', ...args]);
    ipt(['-N', 'DOCKER-USER']);
    ipt([
      '-A',
      'DOCKER-USER',
      '-s',
      '198.51.100.0/24',
      '-m',
      'comment',
      '--comment',
      'fwsafe-test keep me',
      '-j',
      'RETURN',
    ]);
    ipt(['-A', 'FORWARD', '-j', 'DOCKER-USER']);
    const taken = snap();
    expect(taken.version.summary).toMatchObject({ iptablesNft: true, iptablesLegacy: false, firewalld: false });
    const { snapshot } = show(taken.version.id);
    expect(snapshot.iptablesNft.v4).toMatch(
      /^\[\d+:\d+\] -A DOCKER-USER -s 198\.51\.100\.0\/24 -m comment --comment "fwsafe-test keep me" -j RETURN$/m,
    );
    expect(snapshot.iptablesNft.v6).toBeNull();
    expect(snapshot.iptablesLegacy).toEqual({ v4: null, v6: null });
    // The nft text listing has lost the comment: the reason for the separate record.
    expect(snapshot.nft.text).not.toContain('fwsafe-test keep me');
  });

  it("records firewalld's default zone and active zones with services, ports, sources and rich rules", async () => {
    fw = await startFirewalld(ns.name);
    for (const args of [
      ['--zone=public', '--add-interface=lo'],
      ['--zone=public', '--add-service=http'],
      ['--zone=public', '--add-port=8443/tcp'],
      ['--zone=public', '--add-rich-rule=rule family="ipv4" source address="198.51.100.7" drop'],
      ['--zone=trusted', '--add-source=203.0.113.0/24'],
    ]) {
      expect(fw.cmd(args).status, args.join(' ')).toBe(0);
    }
    const taken = snap(fw.env);
    expect(taken.version.summary.firewalld).toBe(true);
    const { snapshot } = show(taken.version.id);
    expect(snapshot.firewalld.state).toBe('running');
    expect(snapshot.firewalld.defaultZone).toBe('public');
    const zone = (name: string): any => snapshot.firewalld.activeZones.find((z: any) => z.name === name);
    expect(zone('public')).toMatchObject({
      interfaces: ['lo'],
      ports: ['8443/tcp'],
      richRules: ['rule family="ipv4" source address="198.51.100.7" drop'],
    });
    expect(zone('public').services).toContain('http');
    expect(zone('trusted')).toMatchObject({ sources: ['203.0.113.0/24'], interfaces: [] });
    expect(zone('block')).toBeUndefined();
    // Its nft table is in the recorded ruleset too.
    expect(snapshot.nft.text).toContain('table inet firewalld');
  });

  it('firewalld table present but its bus unreachable: the snapshot still succeeds, without zones', () => {
    loadRuleset(
      ns.name,
      'table inet firewalld {\n  chain filter_INPUT { type filter hook input priority 10; policy accept; }\n}\n',
    );
    const started = Date.now();
    const taken = snap({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/fwsafe-test-bus' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(taken.version.summary.firewalld).toBe(false);
  });
});
