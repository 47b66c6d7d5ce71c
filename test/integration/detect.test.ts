import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, fwsafe } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { startFirewalld, type ConfinedFirewalld } from '../helpers/firewalld.js';
import { inNetns, isRoot, liveRuleset, loadRuleset, nft, useNetns } from '../helpers/netns.js';

const NATIVE = `table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 accept
    ip saddr 198.51.100.66 drop
  }
}
table inet f2b-table {
  set addr-set-sshd { type ipv4_addr; }
  chain f2b-chain { type filter hook input priority filter - 1; policy accept;
    ip saddr @addr-set-sshd drop
  }
}
`;

const legacyTables = (ns: string, file: string): string => inNetns(ns, 'cat', [file]);
const codes = (json: any): string[] => json.warnings.map((w: { code: string }) => w.code);
const table = (backend: any, key: string): any => backend.tables.find((t: any) => `${t.family} ${t.name}` === key);

describe.skipIf(!isRoot)('fwsafe detect (real kernel, throwaway namespaces)', () => {
  const ns = useNetns('detect');
  let fw: ConfinedFirewalld | null = null;
  afterEach(() => {
    fw?.stop();
    fw = null;
  });

  it('reports native nft, iptables-nft, iptables-legacy and firewalld with owners and warnings', async () => {
    // The confined firewalld must leave the host's /run alone (its bus socket, no /run/firewalld).
    const hostRun = {
      dbus: existsSync('/run/dbus') ? readdirSync('/run/dbus').sort() : null,
      firewalld: existsSync('/run/firewalld'),
    };
    fw = await startFirewalld(ns.name);
    fw.cmd(['--zone=public', '--add-interface=lo']);
    loadRuleset(ns.name, NATIVE);
    const ipt = (args: string[]): string => inNetns(ns.name, 'iptables-nft', ['-w', ...args]);
    ipt(['-A', 'INPUT', '-s', '198.51.100.7', '-j', 'DROP']);
    ipt(['-N', 'DOCKER']);
    ipt(['-N', 'DOCKER-USER']);
    ipt(['-A', 'DOCKER-USER', '-j', 'RETURN']);
    ipt(['-A', 'FORWARD', '-j', 'DOCKER-USER']);
    // docker's nat chain before any built-in nat chain exists: still an iptables-nft table.
    ipt(['-t', 'nat', '-N', 'DOCKER']);
    inNetns(ns.name, 'iptables-legacy', ['-w', '-A', 'INPUT', '-s', '203.0.113.9', '-j', 'DROP']);
    const before = liveRuleset(ns.name);
    const legacyBefore = [
      legacyTables(ns.name, '/proc/net/ip_tables_names'),
      legacyTables(ns.name, '/proc/net/ip6_tables_names'),
    ];

    const r = fwsafe(['--netns', ns.name, 'detect', '--json'], { env: { ...fw.env, DEBUG: 'fwsafe' } });
    expect(r.status, r.stderr).toBe(0);
    // One Python start-up (firewall-cmd --list-all-zones); state and default zone over dbus-send.
    expect(r.stderr.match(/run: .*\/firewall-cmd /g)).toHaveLength(1);
    // nft 1.0.6 lists the ruleset in O(tables × rules): detect lists it once, table by table (each table once).
    const listed = r.stderr.match(/\/nft -j list table \S+ \S+/g) ?? [];
    expect(r.stderr.match(/\/nft (-j |-a )?list ruleset/g)).toBeNull();
    expect(listed.length).toBe(new Set(listed).size);
    expect(listed.length).toBeGreaterThanOrEqual(5);
    expect(r.json.durationMs).toBeLessThan(4_000);
    await expectContract('detect', r.json);
    const b = r.json.backends;

    expect(b.nftables.present).toBe(true);
    expect(table(b.nftables, 'inet filter')).toMatchObject({ owner: 'unknown', rules: 2 });
    expect(table(b.nftables, 'inet f2b-table')).toMatchObject({ owner: 'fail2ban', rules: 1 });
    expect(table(b.nftables, 'inet firewalld').owner).toBe('firewalld');

    expect(b.iptablesNft).toMatchObject({ present: true, v4: true, v6: false });
    const filter = table(b.iptablesNft, 'ip filter');
    expect(filter.owner).toBe('iptables-nft-managed');
    const chain = (name: string): any => filter.chains.find((c: any) => c.name === name);
    expect(chain('DOCKER').owner).toBe('docker');
    expect(chain('DOCKER-USER')).toMatchObject({ owner: 'docker', rules: 1 });
    expect(chain('INPUT')).toMatchObject({ owner: 'iptables-nft-managed', rules: 1, hook: 'input' });
    expect(table(b.iptablesNft, 'ip nat')).toMatchObject({
      owner: 'iptables-nft-managed',
      chains: [expect.objectContaining({ name: 'DOCKER', owner: 'docker' })],
    });
    expect(table(b.nftables, 'ip nat')).toBeUndefined();

    expect(b.iptablesLegacy).toMatchObject({ present: true, v4: true, v6: false, rules: 1 });
    expect(table(b.iptablesLegacy, 'ip filter').chains.find((c: any) => c.name === 'INPUT')).toMatchObject({
      rules: 1,
      policy: 'ACCEPT',
    });

    expect(b.firewalld).toMatchObject({
      present: true,
      running: true,
      defaultZone: 'public',
      tables: ['inet firewalld'],
    });
    expect(b.firewalld.activeZones.find((z: any) => z.name === 'public').interfaces).toContain('lo');

    const owners = Object.fromEntries(r.json.owners.map((o: any) => [o.owner, o]));
    expect(owners.docker.chains).toEqual(['ip filter DOCKER', 'ip filter DOCKER-USER', 'ip nat DOCKER']);
    expect(owners.fail2ban.tables).toEqual(['inet f2b-table']);
    expect(owners.firewalld.tables).toEqual(['inet firewalld']);

    expect(codes(r.json)).toEqual(
      expect.arrayContaining([
        'LEGACY_AND_NFT_ACTIVE',
        'FIREWALLD_RUNNING',
        'IPTABLES_NFT_TABLES',
        'OWNED_BY_OTHERS',
        'CONNTRACK_USAGE',
      ]),
    );
    expect(r.json.conntrack.count).toBeGreaterThanOrEqual(0);
    expect(r.json.iptablesCommands[0]).toMatchObject({ command: 'iptables' });

    // Detect only looks: same ruleset, no legacy table created by listing (ip6 stays unregistered).
    expect(liveRuleset(ns.name)).toBe(before);
    expect([
      legacyTables(ns.name, '/proc/net/ip_tables_names'),
      legacyTables(ns.name, '/proc/net/ip6_tables_names'),
    ]).toEqual(legacyBefore);
    expect(legacyBefore[1]).toBe('');

    // Human output: the same facts, never wider than 80 columns.
    const human = fwsafe(['--netns', ns.name, 'detect'], { env: fw.env });
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('LEGACY_AND_NFT_ACTIVE');
    expect(human.stdout).toMatch(/firewalld\s+running, default zone public/);
    for (const line of human.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);

    fw.stop();
    fw = null;
    // SIGTERM made firewalld remove its table; the host's /run is as it was.
    expect(liveRuleset(ns.name)).not.toContain('table inet firewalld');
    expect({
      dbus: existsSync('/run/dbus') ? readdirSync('/run/dbus').sort() : null,
      firewalld: existsSync('/run/firewalld'),
    }).toEqual(hostRun);
  });

  it('an empty namespace: nothing present, no firewall-cmd asked, only the conntrack note', async () => {
    const r = fwsafe(['--netns', ns.name, 'detect', '--json'], { env: { DEBUG: 'fwsafe' } });
    expect(r.status, r.stderr).toBe(0);
    await expectContract('detect', r.json);
    // Without firewalld's table, firewall-cmd (a slow Python start-up) is never run; nft is listed once.
    expect(r.stderr).not.toContain('firewall-cmd');
    // No table found: the (then cheap) full listing, once.
    expect(r.stderr.match(/\/nft -j list table /g)).toBeNull();
    expect(r.stderr.match(/\/nft (-j |-a )?list ruleset/g)).toHaveLength(1);
    const b = r.json.backends;
    expect([
      b.nftables.present,
      b.iptablesNft.present,
      b.iptablesLegacy.present,
      b.firewalld.present,
      b.firewalld.running,
    ]).toEqual([false, false, false, false, false]);
    expect(codes(r.json)).toEqual(['NFT_SLOW_FULL_LISTING', 'CONNTRACK_USAGE']);
    expect(liveRuleset(ns.name)).toBe('');
    expect(legacyTables(ns.name, '/proc/net/ip_tables_names')).toBe('');
  });

  it('firewalld table without a daemon on the bus: a warning, quickly (a dead bus never hangs detect)', async () => {
    nft(ns.name, ['add', 'table', 'inet', 'firewalld']);
    const started = Date.now();
    const r = fwsafe(['--netns', ns.name, 'detect', '--json'], {
      env: { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/fwsafe-test-bus', DEBUG: 'fwsafe' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    // One cheap D-Bus call finds nobody: no firewall-cmd (Python) at all.
    expect(r.stderr).toContain('/dbus-send ');
    expect(r.stderr).not.toMatch(/run: .*\/firewall-cmd /);
    expect(r.json.backends.firewalld).toMatchObject({ present: true, running: false });
    expect(codes(r.json)).toContain('FIREWALLD_NOT_ANSWERING');
  });

  it('kube-proxy nft mode and legacy-only rules with docker chains', async () => {
    loadRuleset(
      ns.name,
      'table ip kube-proxy {\n  chain filter-input { type filter hook input priority -110; policy accept; }\n}\n',
    );
    inNetns(ns.name, 'iptables-legacy', ['-w', '-N', 'DOCKER-ISOLATION-STAGE-1']);
    inNetns(ns.name, 'iptables-legacy', ['-w', '-A', 'FORWARD', '-j', 'DOCKER-ISOLATION-STAGE-1']);
    inNetns(ns.name, 'ip6tables-legacy', ['-w', '-P', 'INPUT', 'DROP']);
    const r = fwsafe(['--netns', ns.name, 'detect', '--json']);
    expect(r.status, r.stderr).toBe(0);
    await expectContract('detect', r.json);
    expect(table(r.json.backends.nftables, 'ip kube-proxy').owner).toBe('kube-proxy');
    expect(r.json.backends.iptablesLegacy).toMatchObject({ present: true, v4: true, v6: true, rules: 1 });
    expect(
      table(r.json.backends.iptablesLegacy, 'ip6 filter').chains.find((c: any) => c.name === 'INPUT'),
    ).toMatchObject({ policy: 'DROP', rules: 0 });
    const legacy = table(r.json.backends.iptablesLegacy, 'ip filter');
    expect(legacy.chains.find((c: any) => c.name === 'DOCKER-ISOLATION-STAGE-1').owner).toBe('docker');
    expect(codes(r.json)).toContain('LEGACY_AND_NFT_ACTIVE');
  });

  it('as an ordinary user: NEEDS_ROOT (exit 7), not a netlink error', async () => {
    const r = spawnSync(
      'su',
      ['nobody', '-s', '/bin/sh', '-c', `${process.execPath} ${BIN} --netns ${ns.name} detect --json`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(7);
    const json = JSON.parse(r.stdout);
    expect(json.error.code).toBe('NEEDS_ROOT');
    await expectContract('error', json);
  });

  it('refuses a bad namespace name with a clear error', async () => {
    const r = fwsafe(['--netns', '../etc', 'detect', '--json']);
    expect(r.status).toBe(9);
    expect(r.json.error.code).toBe('BAD_NETNS');
    await expectContract('error', r.json);
  });
});
