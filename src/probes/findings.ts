import type { FindingT } from '../plan/schema.js';
import type { ProbeResult } from './run-probes.js';
import { whatHappened } from './attribution.js';

const CODE: Record<ProbeResult['kind'], string> = {
  session: 'PROBE_SESSION_CUT',
  'new-login': 'PROBE_NEW_LOGIN_BLOCKED',
  'must-allow': 'PROBE_MUST_ALLOW_FAILED',
  'must-deny': 'PROBE_MUST_DENY_FAILED',
};

/** Failing probes are blocking findings naming the rule that decided; notes become info findings. */
export function probeFindings(results: ProbeResult[]): FindingT[] {
  const out: FindingT[] = [];
  for (const r of results) {
    if (!r.pass) {
      out.push({
        code: CODE[r.kind],
        severity: 'error',
        message: `Probe: ${r.description} was ${whatHappened(r)} after the change (real packets through the proposed ruleset).`,
        fix: r.kind === 'session' ? 'Accept established traffic before any drop: `ct state established,related accept`.' : r.kind === 'must-deny' ? 'Add a rule that drops it, before any accept that matches it.' : 'Accept it before the rule that drops it.',
        location: r.rewrite?.by ?? r.decidedBy,
      });
    }
  }
  const notes = [...new Set(results.map((r) => r.note).filter((n): n is string => Boolean(n)))];
  for (const note of notes) out.push({ code: 'PROBE_NOTE', severity: 'info', message: `Probes: ${note}.`, fix: 'Nothing to do; read the probe results with that in mind.', location: null });
  return out;
}
