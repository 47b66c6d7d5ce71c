import { describe, expect, it } from 'vitest';
import { mergeWithFlows, type FlowReplay } from '../../../src/flows/replay.js';
import type { ProbeResult } from '../../../src/probes/run-probes.js';

const ctx = { mode: 'session' as const, ipv6InUse: false, own: [] };
const replay: FlowReplay = {
  probes: [],
  net: [
    {
      tag: 'flow-n1',
      origin: 'live',
      blocking: true,
      label: 'udp out 10.0.0.1 → 10.0.0.2:53',
      process: null,
      connections: 2,
      net: { kind: 'out', proto: 'udp', direction: 'out', src: '10.0.0.1', dst: '10.0.0.2', port: 53 },
    },
  ],
  unprobed: [],
  forwarding: { ipv4: false, ipv6: false },
};
const cut: ProbeResult = {
  kind: 'must-allow',
  description: 'flow-n1 (10.0.0.1 → 10.0.0.2:53)',
  expected: 'allowed',
  observed: 'dropped',
  before: 'allowed',
  pass: false,
  worse: true,
  decidedBy: 'inet filter output: udp dport 53 drop',
  verdict: 'drop',
  note: null,
};

describe('mergeWithFlows with the network replay', () => {
  it('turns a network replay result into FLOW_CUT, errors first', () => {
    const findings = mergeWithFlows([], [], replay, ctx, { results: [cut], error: null });
    expect(findings[0]).toMatchObject({ code: 'FLOW_CUT', severity: 'error', location: cut.decidedBy });
    expect(findings.some((f) => f.code === 'FLOWS_NOT_PROBED')).toBe(false);
  });

  it('leaves the flows of a failed replay not probed, never passing', () => {
    const findings = mergeWithFlows([], [], replay, ctx, { results: null, error: 'no router' });
    const f = findings.find((x) => x.code === 'FLOWS_NOT_PROBED');
    expect(f?.message).toContain('the replay failed: no router');
    expect(findings.some((x) => x.code === 'FLOW_CUT')).toBe(false);
  });

  it('says so when the network replay did not run', () => {
    const findings = mergeWithFlows([], [], replay, ctx);
    expect(findings.find((x) => x.code === 'FLOWS_NOT_PROBED')?.message).toContain('did not run');
  });

  it('returns the analysis alone when the probes did not run', () => {
    expect(mergeWithFlows([], null, replay, ctx, { results: [cut], error: null })).toEqual([]);
  });
});
