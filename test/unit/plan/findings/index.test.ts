import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, type RulesetModel } from '../../../../src/ruleset/model.js';
import { runAnalysers, ANALYSERS } from '../../../../src/plan/findings/index.js';
import { touchedKeys } from '../../../../src/plan/diff.js';
import type { FindingContext } from '../../../../src/plan/findings/context.js';
import { findingContext } from '../../../helpers/finding-context.js';

// Real `nft -j` / `nft -a` listings of small rulesets (test/fixtures/plan), so the walk sees what nft gives.
const FIX = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'plan');
const load = (name: string): RulesetModel =>
  buildModel(readFileSync(join(FIX, `${name}.json`), 'utf8'), readFileSync(join(FIX, `${name}.nft`), 'utf8'));
const EMPTY: RulesetModel = { tables: [] };

function findings(base: RulesetModel, result: RulesetModel, over: Partial<FindingContext> = {}) {
  return runAnalysers(findingContext({ base, result, touched: touchedKeys(base, result), ...over }));
}
const codes = (fs: { code: string; severity: string }[]) => fs.map((f) => `${f.severity} ${f.code}`).sort();

describe('findings', () => {
  it('the lockout demo over the baseline: new logins and the established session cut (IPv4 and IPv6), no ICMP noise', () => {
    const fs = findings(load('baseline'), load('lockout-demo'));
    expect(codes(fs)).toEqual([
      'error SSH_NEW_LOGIN_BLOCKED',
      'error SSH_SESSION_CUT',
      'warning DROP_WITHOUT_ESTABLISHED',
    ]);
    expect(fs.find((f) => f.code === 'SSH_NEW_LOGIN_BLOCKED')!.message).toBe(
      'After this change a new SSH login to port 22 over IPv4 and IPv6 would be dropped, decided by inet filter input: policy drop.',
    );
    // errors first: apply shows the blocking ones at the top
    expect(fs[0]!.severity).toBe('error');
  });

  it('an admin session from SSH_CONNECTION is checked on its own address family and port', () => {
    const fs = findings(load('baseline'), load('lockout-demo'), {
      ssh: { client: '2001:db8::5', clientPort: 50000, server: '2001:db8::1', serverPort: 2222 },
      sshPorts: [2222],
    });
    // The baseline only opens 22: a new login on 2222 is already refused (a warning), the session cut is new (an error).
    expect(fs.filter((f) => f.code.startsWith('SSH_')).map((f) => `${f.severity} ${f.message}`)).toEqual([
      expect.stringMatching(/^error .*the established SSH session on port 2222 from 2001:db8::5/),
      expect.stringMatching(/^warning .*a new SSH login to port 2222 from 2001:db8::5 .*already dropped today/),
    ]);
  });

  it('the baseline itself is clean, and an unchanged ruleset gives nothing', () => {
    expect(findings(EMPTY, load('baseline'))).toEqual([]);
    expect(findings(load('baseline'), load('baseline'))).toEqual([]);
  });

  it('ND, packet-too-big and frag-needed dropped; forward replies dropped; loopback and established fine', () => {
    const fs = findings(EMPTY, load('no-icmp'));
    expect(codes(fs)).toEqual([
      'warning FORWARD_DROP_WITHOUT_ESTABLISHED',
      'warning ICMPV6_BLOCKED',
      'warning ICMP_FRAG_NEEDED_BLOCKED',
    ]);
    expect(fs.find((f) => f.code === 'ICMPV6_BLOCKED')!.message).toContain(
      'nd-neighbor-solicit, nd-neighbor-advert, packet-too-big',
    );
  });

  it('rules after an unconditional drop are unreachable', () => {
    const fs = findings(EMPTY, load('unreachable'));
    expect(fs).toEqual([
      expect.objectContaining({
        code: 'UNREACHABLE_RULES',
        location: 'inet web/input',
        message: expect.stringContaining('2 rules after `counter accept`'),
      }),
    ]);
  });

  it('flush ruleset is blocking; legacy rules, not-reproduced tables are reported', () => {
    const fs = findings(load('baseline'), load('baseline'), {
      proposalText: '# scoped?\nflush ruleset\ninclude "x.nft"\n',
      legacyRulesPresent: true,
      notReproduced: ['ip filter'],
    });
    expect(codes(fs)).toEqual([
      'error FLUSH_RULESET',
      'info TABLE_NOT_REPRODUCED',
      'warning LEGACY_RULES_PRESENT',
      'warning PROPOSAL_INCLUDES_FILES',
    ]);
    expect(fs.find((f) => f.code === 'FLUSH_RULESET')!.fix).toContain('delete table');
  });

  it('iif/oif naming an interface that does not exist live is blocking (apply would be rejected); iifname is fine', () => {
    const text =
      'add rule inet filter input iif "wg0" accept\nadd rule inet filter input iifname "wg1" accept\nadd rule inet filter input oif { "eth0", "tun3" } accept\n';
    const fs = findings(load('baseline'), load('baseline'), { proposalText: text, liveInterfaces: ['eth0', 'lo'] });
    expect(fs).toEqual([
      expect.objectContaining({
        code: 'INTERFACE_MISSING',
        severity: 'error',
        message: expect.stringContaining('"tun3", "wg0"'),
      }),
    ]);
    expect(findings(load('baseline'), load('baseline'), { proposalText: text, liveInterfaces: null })).toEqual([]);
  });

  it("docker's chains inside iptables-nft's ip filter: changing DOCKER blocks, DOCKER-USER warns", () => {
    const fs = findings(load('docker-before'), load('docker-after'));
    expect(codes(fs)).toEqual([
      'error FOREIGN_CHAIN_TOUCHED',
      'warning FOREIGN_CHAIN_TOUCHED',
      'warning FOREIGN_TABLE_TOUCHED',
    ]);
    expect(fs[0]!.location).toBe('ip filter/DOCKER');
  });

  it('flush ruleset: the fix names the scoped replacement of each table the file defines', () => {
    const fs = findings(load('docker-before'), load('baseline'), {
      proposalText: 'flush ruleset\ninclude "/etc/nftables.d/baseline.nft"\n',
    });
    const flush = fs.find((f) => f.code === 'FLUSH_RULESET')!;
    expect(flush.message).toContain('ip filter (iptables-nft-managed)');
    expect(flush.fix).toContain('`table inet filter` / `delete table inet filter` / `table inet filter { … }`');
  });

  it('included files are named: the plan records only the proposal text, apply reads them again', () => {
    const fs = findings(load('baseline'), load('baseline'), {
      proposalText:
        '# include "/not/this.nft"\ninclude "/etc/nftables.d/web.nft"\n  include "/etc/nftables.d/web.nft"\n',
    });
    expect(codes(fs)).toEqual(['warning PROPOSAL_INCLUDES_FILES']);
    expect(fs[0]!.message).toContain('includes /etc/nftables.d/web.nft.');
    expect(
      findings(load('baseline'), load('baseline'), {
        proposalText: 'add rule inet filter input tcp dport 443 accept comment "include \\"x\\""\n',
      }),
    ).toEqual([]);
  });

  it('is an extensible list of analysers', () => {
    const extra = () => [{ code: 'EXTRA_CHECK', severity: 'info' as const, message: 'm', fix: 'f', location: null }];
    expect(runAnalysers(findingContext(), [...ANALYSERS, extra]).map((f) => f.code)).toEqual(['EXTRA_CHECK']);
  });
});
