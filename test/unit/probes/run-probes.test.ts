import { describe, expect, it } from 'vitest';
import { whatHappened } from '../../../src/probes/attribution.js';
import { explainUnseen, type ProbeResult } from '../../../src/probes/run-probes.js';

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
const LEGACY =
  'iptables-legacy v4 filter OUTPUT: -A OUTPUT -p udp -m udp --dport 53 -j DROP (its packet counter moved)';

describe('explainUnseen: what the trace did not see, named by the format', () => {
  it('names the legacy rule on failed probes with no deciding rule, once, and leaves the others alone', async () => {
    const calls: string[] = [];
    const format = {
      load: async () => [],
      explain: async (ns: string) => {
        calls.push(ns);
        return LEGACY;
      },
    };
    const unseen = result({});
    const seen = result({ decidedBy: 'ip filter OUTPUT: udp dport 53 counter drop', verdict: 'drop' });
    const passed = result({ observed: 'allowed', pass: true });
    await explainUnseen([unseen, seen, passed, result({})], format, 'ns1');
    expect(calls).toEqual(['ns1']);
    expect(unseen).toMatchObject({ decidedBy: LEGACY, verdict: 'drop' });
    expect(whatHappened(unseen)).toBe(`dropped by ${LEGACY}`);
    expect(seen.decidedBy).toBe('ip filter OUTPUT: udp dport 53 counter drop');
    expect(passed.decidedBy).toBeNull();
  });
  it('does nothing without explain() or without an unexplained failure; a legacy REJECT reads as rejected by it', async () => {
    const r = result({});
    await explainUnseen([r], { load: async () => [] }, 'ns1');
    expect(r.decidedBy).toBeNull();
    let called = false;
    await explainUnseen(
      [result({ observed: 'allowed', pass: true })],
      {
        load: async () => [],
        explain: async () => {
          called = true;
          return null;
        },
      },
      'ns1',
    );
    expect(called).toBe(false);
    const rejected = result({ observed: 'rejected' });
    const reject =
      'iptables-legacy v4 filter OUTPUT: -A OUTPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable (its packet counter moved)';
    await explainUnseen([rejected], { load: async () => [], explain: async () => reject }, 'ns1');
    expect(whatHappened(rejected)).toBe(`rejected by ${reject}`);
  });
});
