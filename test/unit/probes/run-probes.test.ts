import { describe, expect, it } from 'vitest';
import { whatHappened } from '../../../src/probes/attribution.js';
import { explainUnseen, type ProbeResult, type UnseenDecider } from '../../../src/probes/run-probes.js';

const result = (over: Partial<ProbeResult>): ProbeResult => ({
  kind: 'must-allow',
  description: 'dns (10.72.0.1 → 10.73.0.53:53)',
  expected: 'allowed',
  observed: 'dropped',
  pass: false,
  decidedBy: null,
  verdict: null,
  note: null,
  ...over,
});
const DNS: UnseenDecider = {
  decidedBy: 'iptables-legacy v4 filter OUTPUT: -A OUTPUT -p udp -m udp --dport 53 -j DROP (its packet counter moved)',
  verdict: 'drop',
  ports: [[53, 53]],
};
const WEB: UnseenDecider = {
  decidedBy:
    'iptables-legacy v4 filter OUTPUT: -A OUTPUT -p tcp -m multiport --dports 80,8000:8100 -j REJECT --reject-with icmp-port-unreachable (its packet counter moved)',
  verdict: 'reject',
  ports: [
    [80, 80],
    [8000, 8100],
  ],
};
const POLICY: UnseenDecider = {
  decidedBy: 'iptables-legacy v4 filter INPUT: policy DROP (its packet counter moved)',
  verdict: 'drop',
  ports: null,
};
const format = (deciders: UnseenDecider[], calls: string[] = []) => ({
  load: async () => [],
  explain: async (ns: string) => {
    calls.push(ns);
    return deciders;
  },
});

describe('explainUnseen: what the trace did not see, named by the format', () => {
  it('each failed probe with no deciding rule gets the decider limited to its port, else one not limited by port; read once', async () => {
    const calls: string[] = [];
    const dns = result({});
    const web = result({ description: 'web (10.72.0.1 → 10.73.0.80:8080)', observed: 'rejected' });
    const ssh = result({ kind: 'new-login', description: 'a new SSH login (198.51.100.77 → 10.71.0.1:22)' });
    const seen = result({ decidedBy: 'ip filter OUTPUT: udp dport 53 counter drop', verdict: 'drop' });
    const passed = result({ observed: 'allowed', pass: true });
    await explainUnseen([dns, web, ssh, seen, passed], format([WEB, DNS, POLICY], calls), 'ns1');
    expect(calls).toEqual(['ns1']);
    expect(dns).toMatchObject({ decidedBy: DNS.decidedBy, verdict: 'drop' });
    expect(whatHappened(dns)).toBe(`dropped by ${DNS.decidedBy}`);
    expect(whatHappened(web)).toBe(`rejected by ${WEB.decidedBy}`);
    expect(ssh.decidedBy).toBe(POLICY.decidedBy);
    expect(seen.decidedBy).toBe('ip filter OUTPUT: udp dport 53 counter drop');
    expect(passed.decidedBy).toBeNull();
  });
  it('a rule limited to other ports is never named; nothing happens without explain() or an unexplained failure', async () => {
    const other = result({ description: 'https (10.72.0.1 → 10.73.0.53:443)' });
    const echo = result({ description: 'icmp out (10.72.0.1 → 10.73.0.53)' });
    await explainUnseen([other, echo], format([DNS]), 'ns1');
    expect(other.decidedBy).toBeNull();
    expect(echo.decidedBy).toBeNull();
    await explainUnseen([echo], format([DNS, POLICY]), 'ns1');
    expect(echo.decidedBy).toBe(POLICY.decidedBy);
    const r = result({});
    await explainUnseen([r], { load: async () => [] }, 'ns1');
    expect(r.decidedBy).toBeNull();
    const calls: string[] = [];
    await explainUnseen([result({ observed: 'allowed', pass: true })], format([DNS], calls), 'ns1');
    expect(calls).toEqual([]);
  });
});
