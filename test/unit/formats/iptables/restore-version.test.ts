import { describe, expect, it } from 'vitest';
import { iptablesRestoreSteps } from '../../../../src/formats/iptables/restore-version.js';
import type { SnapshotT } from '../../../../src/snapshot/schema.js';

// Only the iptables saves are read by iptablesRestoreSteps.
const snap = (nftV4: string | null, legacyV4: string | null = null): SnapshotT =>
  ({ iptablesNft: { v4: nftV4, v6: null }, iptablesLegacy: { v4: legacyV4, v6: null } }) as unknown as SnapshotT;

const FILTER = (rule: string): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}COMMIT\n`;
// What iptables-nft-save prints for a nat table docker made with `-N DOCKER` only: built-ins it does not have.
const DOCKER_NAT =
  '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n';

describe('rollback VERSION: iptables chains', () => {
  it('restores the admin chain that differs, natively, and puts it back on rollback', () => {
    const r = iptablesRestoreSteps(snap(FILTER('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n')), snap(FILTER('')));
    expect(r.chains).toEqual(['iptables-nft v4 filter/INPUT']);
    expect(r.apply.map((s) => [s.program, s.args])).toEqual([['iptables-nft-restore', ['-w', '5', '-c', '--noflush']]]);
    expect(r.apply[0]!.input).toContain('--dport 22');
    expect(r.rollback[0]!.input).not.toContain('--dport 22');
  });

  it('a docker table appearing since the version is left alone: its idle built-ins equal absent chains', () => {
    const r = iptablesRestoreSteps(snap(null), snap(DOCKER_NAT));
    expect(r).toEqual({ apply: [], rollback: [], chains: [] });
  });

  it('a built-in chain with rules or a DROP policy is not idle', () => {
    const r = iptablesRestoreSteps(snap(null), snap('*nat\n:PREROUTING DROP [0:0]\nCOMMIT\n'));
    expect(r.chains).toEqual(['iptables-nft v4 nat/PREROUTING']);
  });

  it("docker's jump in a built-in chain is docker's: a real docker nat table since the version is left alone", () => {
    const nat = DOCKER_NAT.replace('COMMIT', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\nCOMMIT');
    expect(iptablesRestoreSteps(snap(null), snap(nat))).toEqual({ apply: [], rollback: [], chains: [] });
  });

  it("the admin's rules of the version come back; today's jumps into other software's chains stay in place", () => {
    const jump = '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n';
    const r = iptablesRestoreSteps(
      snap(FILTER('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n')),
      snap(
        FILTER(`${jump}-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\n`).replace(
          ':OUTPUT',
          ':f2b-sshd - [0:0]\n:OUTPUT',
        ),
      ),
    );
    expect(r.chains).toEqual(['iptables-nft v4 filter/INPUT']);
    const input = r.apply[0]!.input;
    expect(input).not.toContain('2222');
    expect(input.indexOf('-j f2b-sshd')).toBeGreaterThan(-1);
    expect(input.indexOf('-j f2b-sshd')).toBeLessThan(input.indexOf('--dport 22 -j ACCEPT'));
  });

  it("a version's jump into a chain other software has since removed is not restored (it would fail)", () => {
    const r = iptablesRestoreSteps(snap(FILTER('-A INPUT -j f2b-sshd\n')), snap(FILTER('')));
    expect(r).toEqual({ apply: [], rollback: [], chains: [] });
  });
});
