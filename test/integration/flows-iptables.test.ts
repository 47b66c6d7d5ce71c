import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fwsafe } from '../helpers/cli.js';
import { buildLab, LAB, type Lab, removeLab } from '../helpers/flow-lab.js';
import { inNetns, isRoot, nft } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';
import { normaliseIptablesSave } from '../../src/snapshot/hash.js';

// The network replay (outbound flows) for iptables proposals, on the flows lab's host with its firewall in
// iptables (nft flushed): the declared DNS flow is cut by an OUTPUT drop and named on both variants (the
// nft trace on iptables-nft, the legacy rule's counter on iptables-legacy), the HTTPS flow is not reported.
const BASE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
`;
const CUT = '*filter\n-A OUTPUT -p udp --dport 53 -j DROP\nCOMMIT\n';
// Two rules cutting two flows: each flow is named by its own rule (on legacy: the rule limited to its port).
const CUT_TWO =
  '*filter\n-A OUTPUT -p tcp --dport 853 -j REJECT --reject-with tcp-reset\n-A OUTPUT -p udp --dport 53 -j DROP\nCOMMIT\n';
const FLOWS = `udp to ${LAB.resolver}:53 out name=dns\ntcp to ${LAB.resolver}:443 out name=https\ntcp to ${LAB.resolver}:853 out name=upstream\n`;

interface Finding {
  code: string;
  severity: string;
  message: string;
  location: string | null;
}

describe.skipIf(!isRoot)('network replay of iptables proposals (real kernel, flows lab)', () => {
  let lab: Lab | null = null;
  let dir = '';
  let flowsFile = '';
  const states: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-flows-ipt-'));
    flowsFile = join(dir, 'flows');
    writeFileSync(flowsFile, FLOWS);
    lab = await buildLab('fi');
    nft(lab.ns.host, ['flush', 'ruleset']);
  }, 120_000);
  afterAll(() => {
    for (const s of states) removeStateDir(s);
    if (lab) removeLab(lab);
    if (dir) removeStateDir(dir);
  });

  // The live rules as fwsafe compares them (its content hash): chains, policies and rules, without the
  // date comments and the [packets:bytes] counters. The lab host sends packets of its own at times no test
  // step controls: its bridge "lan" (multicast snooping) joins the all-snoopers group 224.0.0.106, and the
  // kernel's IGMPv3 reports of it (40 bytes, to 224.0.0.22) go out late under load, through OUTPUT — seen
  // as ":OUTPUT ACCEPT [1:40]" seconds after the lab was built. Counters count traffic, not rule changes.
  const save = (variant: string): string =>
    normaliseIptablesSave(inNetns(lab!.ns.host, `iptables-${variant}-save`, []));

  for (const variant of ['nft', 'legacy'] as const) {
    it(`iptables-${variant}: -A OUTPUT udp 53 DROP cuts the declared DNS flow, named by its rule; 443 not reported; bad input leaves the rules unchanged`, () => {
      const host = lab!.ns.host;
      // One variant live at a time (the nft run goes first; its iptables-nft tables are flushed for the legacy one).
      if (variant === 'legacy') nft(host, ['flush', 'ruleset']);
      inNetns(host, `iptables-${variant}-restore`, [], BASE);
      const cut = join(dir, `cut-${variant}.v4`);
      writeFileSync(cut, CUT);
      const before = save(variant);

      const r = fwsafe(['--netns', host, 'plan', cut, '--flows-file', flowsFile, '--json'], { timeoutMs: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.json.format).toBe('iptables');
      const findings = r.json.findings as Finding[];
      const cuts = findings.filter((f) => f.code === 'FLOW_CUT');
      const detail = JSON.stringify(findings, null, 1);
      expect(cuts, detail).toHaveLength(1);
      expect(cuts[0]!.severity).toBe('error');
      expect(cuts[0]!.message).toContain(`${LAB.resolver}:53`);
      const named =
        variant === 'nft'
          ? /^ip filter OUTPUT: .*udp dport 53 .*drop/
          : /^iptables-legacy v4 filter OUTPUT: -A OUTPUT -p udp -m udp --dport 53 -j DROP\b/;
      expect(cuts[0]!.location ?? '', detail).toMatch(named);
      expect(cuts[0]!.message).toMatch(/dropped by /);
      expect(cuts[0]!.message).not.toMatch(/before any traced rule/);
      // The HTTPS flow passes before and after: nothing said about it.
      expect(findings.filter((f) => f.message.includes(':443')).map((f) => f.message)).toEqual([]);
      // Both declared flows were replayed (the host's own IGMP may be listed as not probed: multicast).
      const unprobed = findings.filter((f) => f.code === 'FLOWS_NOT_PROBED').map((f) => f.message);
      expect(unprobed.join(' ')).not.toContain(LAB.resolver);
      // Planning left the live rules alone.
      expect(save(variant)).toBe(before);

      const two = join(dir, `two-${variant}.v4`);
      writeFileSync(two, CUT_TWO);
      const both = fwsafe(['--netns', host, 'plan', two, '--flows-file', flowsFile, '--json'], { timeoutMs: 120_000 });
      expect(both.status, both.stderr).toBe(0);
      const cutTwo = (both.json.findings as Finding[]).filter((f) => f.code === 'FLOW_CUT');
      const at = (port: number) => cutTwo.find((f) => f.message.includes(`${LAB.resolver}:${port} `));
      const detailTwo = JSON.stringify(cutTwo, null, 1);
      expect(at(53)?.location ?? '', detailTwo).toMatch(named);
      expect(at(853)?.location ?? '', detailTwo).toMatch(
        variant === 'nft'
          ? /^ip filter OUTPUT: .*tcp dport 853 .*reject/
          : /^iptables-legacy v4 filter OUTPUT: -A OUTPUT -p tcp -m tcp --dport 853 -j REJECT --reject-with tcp-reset\b/,
      );
      expect(at(853)!.message).toMatch(/rejected by /);
      expect(at(443), detailTwo).toBeUndefined();
      expect(save(variant)).toBe(before);

      // Bad input: a clear error, the ruleset unchanged (through apply, the path that would change it).
      const bad = join(dir, `bad-${variant}.v4`);
      writeFileSync(bad, '*filter\n-A OUTPUT -p udp --dport 53 -j NO-SUCH-CHAIN\nCOMMIT\n');
      const state = join(dir, `state-${variant}`);
      states.push(state);
      const refused = fwsafe(
        ['--netns', host, '--state-dir', state, 'apply', bad, '--flows-file', flowsFile, '--no-wait', '--json'],
        { timeoutMs: 120_000 },
      );
      expect(refused.status, refused.stderr).not.toBe(0);
      expect(refused.json.error.message).toMatch(/NO-SUCH-CHAIN|restore|load/i);
      expect(save(variant)).toBe(before);
      // The cut itself, through apply's gate: refused, nothing changed.
      const gated = fwsafe(
        ['--netns', host, '--state-dir', state, 'apply', cut, '--flows-file', flowsFile, '--no-wait', '--json'],
        { timeoutMs: 120_000 },
      );
      expect(gated.status, gated.stderr).toBe(5);
      expect(gated.json.error.message).toMatch(/FLOW_CUT|flow/i);
      expect(save(variant)).toBe(before);
    }, 240_000);
  }
});
