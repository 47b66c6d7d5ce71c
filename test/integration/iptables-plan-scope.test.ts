import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { inNetns, isRoot, nft, useNetns } from '../helpers/netns.js';

// A host with a docker-like iptables-nft nat table beside the admin's filter table.
const NAT_AND_FILTER = `*nat
:PREROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -j DOCKER
-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;

// What the scratch namespace of an iptables plan loads: the live save started beside nft's listing, only
// the tables the proposal names when they load alone, the whole save when they do not.
const restore = (ns: string, text: string): string => inNetns(ns, 'iptables-nft-restore', ['-w', '5'], text);
const proposal = (text: string, name = 'change.v4'): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'fwsafe-ipt-scope-')), name);
  writeFileSync(file, text);
  return file;
};
const codes = (json: any): string[] => json.findings.map((f: any) => f.code);

describe.skipIf(!isRoot)('iptables plan: what the scratch namespace loads', () => {
  const ns = useNetns('ipt-scope');
  const state = useStateDir();
  const plan = (file: string) =>
    fwsafe(['--netns', ns.name, '--state-dir', state.path, 'plan', file, '--no-probes', '--json']);

  it('a filter rule reading an estimator that a mangle rule makes (-m rateest): the whole save is loaded, nothing is "not reproduced"', () => {
    restore(
      ns.name,
      `*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j RATEEST --rateest-name est1 --rateest-interval 250ms --rateest-ewmalog 500ms
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m rateest --rateest est1 --rateest-bps1 1000 --rateest-lt -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`,
    );
    const r = plan(proposal('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p udp -m udp --dport 53 -j ACCEPT\nCOMMIT\n'));
    expect(r.status, r.stderr).toBe(0);
    expect(codes(r.json)).not.toContain('IPTABLES_TABLE_NOT_REPRODUCED');
    expect(r.json.diff.summary).toMatchObject({ rulesAdded: 1, rulesRemoved: 0 });
    expect(r.json.diff.unified).toContain('+-A OUTPUT -p udp -m udp --dport 53 -j ACCEPT');
    // Nothing live changed.
    expect(inNetns(ns.name, 'iptables-nft-save', [])).not.toContain('--dport 53');
  });

  it('a host with an iptables-nft nat table: a filter change is planned without it, and nat is left alone', () => {
    restore(ns.name, NAT_AND_FILTER);
    const r = plan(
      proposal(
        '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n',
      ),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.diff.tables.map((t: any) => t.table)).toEqual(['iptables-nft v4 filter']);
    expect(r.json.diff.summary).toMatchObject({ rulesAdded: 1, rulesRemoved: 0 });
    expect(r.json.touchedTables.map((t: any) => t.name)).toEqual(['filter']);
    expect(inNetns(ns.name, 'iptables-nft-save', ['-t', 'nat'])).toContain('--to-destination 10.0.0.2:80');
  });

  it('a native nft "ip filter" that iptables-nft does not own: the early save is dropped and the change computed from nothing live', () => {
    // iptables-nft-save prints built-in INPUT/FORWARD/OUTPUT for it (an "incompatible base-chains" table);
    // the snapshot keeps no save for it, so the plan must not either (INPUT is created, not changed).
    nft(
      ns.name,
      ['-f', '-'],
      'table ip filter {\n chain foo {\n  type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n',
    );
    expect(inNetns(ns.name, 'iptables-nft-save', [])).toContain(':INPUT ACCEPT');
    const r = plan(proposal('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.diff.summary).toMatchObject({ chainsAdded: 1, chainsChanged: 0, rulesAdded: 1 });
    expect(nft(ns.name, ['list', 'table', 'ip', 'filter'])).toContain('chain foo');
  });

  it('a v4 + v6 pair: the save of each family is started early and kept by the snapshot (run once), v4 loads only filter, a v6 table iptables-nft does not own is dropped', () => {
    restore(ns.name, NAT_AND_FILTER);
    nft(
      ns.name,
      ['-f', '-'],
      'table ip6 filter {\n chain foo {\n  type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n',
    );
    const v4 = proposal(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n',
    );
    const v6 = proposal(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n',
      'change.v6',
    );
    const r = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'plan', v4, v6, '--no-probes', '--json'], {
      env: { DEBUG: 'fwsafe' },
    });
    expect(r.status, r.stderr).toBe(0);
    const tables = r.json.diff.tables.map((t: any) => t.table);
    expect(tables).toEqual(expect.arrayContaining(['iptables-nft v4 filter', 'iptables-nft v6 filter']));
    expect(tables).toHaveLength(2);
    // v4: one rule added to the live INPUT; v6: INPUT created (the native ip6 filter is not iptables-nft's).
    expect(r.json.diff.summary).toMatchObject({ chainsAdded: 1, rulesAdded: 2, rulesRemoved: 0 });
    // One save per family in the live namespace: the snapshot kept the early ones instead of saving again.
    const liveSaves = (program: string): number =>
      r.stderr
        .split('\n')
        .filter((l) => l.includes(`--net=/run/netns/${ns.name} `) && new RegExp(` run: .*\\b${program}\\b`).test(l))
        .length;
    expect(liveSaves('iptables-nft-save')).toBe(1);
    expect(liveSaves('ip6tables-nft-save')).toBe(1);
    const phases = r.stderr.split('\n').filter((l) => / iptables plan: /.test(l));
    expect(phases.map((l) => l.replace(/^.* iptables plan: /, ''))).toEqual([
      'start',
      'snapshot taken',
      'scratch done',
      'built',
      'validated',
    ]);
    expect(inNetns(ns.name, 'iptables-nft-save', ['-t', 'nat'])).toContain('--to-destination 10.0.0.2:80');
    expect(nft(ns.name, ['list', 'table', 'ip6', 'filter'])).toContain('chain foo');
  });
});
