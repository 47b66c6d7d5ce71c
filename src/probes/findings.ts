import type { FindingT } from '../plan/schema.js';
import type { ProbeResult } from './run-probes.js';

const CODE: Record<ProbeResult['kind'], string> = {
  session: 'PROBE_SESSION_CUT',
  'new-login': 'PROBE_NEW_LOGIN_BLOCKED',
  'must-allow': 'PROBE_MUST_ALLOW_FAILED',
  'must-deny': 'PROBE_MUST_DENY_FAILED',
};

/** The rule analysis' code for the same problem a probe kind observes. */
const ANALYSIS: Partial<Record<ProbeResult['kind'], string>> = { session: 'SSH_SESSION_CUT', 'new-login': 'SSH_NEW_LOGIN_BLOCKED' };

const FIX: Record<ProbeResult['kind'], string> = {
  session: 'Accept established traffic before any drop: `ct state established,related accept`.',
  'new-login': 'Accept it before the rule that drops it.',
  'must-allow': 'Accept it before the rule that drops it.',
  'must-deny': 'Add a rule that drops it, before any accept that matches it.',
};

const RANK = { error: 0, warning: 1, info: 2 } as const;

const said = (r: ProbeResult): string => `${r.description} was ${r.observed}${r.decidedBy ? `, decided by ${r.decidedBy}` : ''}`;

/** One finding for the failing probes of one kind: blocking only when the change makes it worse. */
function oneFinding(kind: ProbeResult['kind'], failing: ProbeResult[], confirmed: FindingT[]): FindingT {
  const worse = failing.filter((r) => r.worse);
  const shown = worse.length ? worse : failing;
  const lead = confirmed.find((f) => f.severity === 'error') ?? confirmed[0];
  const packets = `real packets through the proposed ruleset: ${shown.map(said).join('; ')}`;
  return {
    code: lead?.code ?? CODE[kind],
    severity: worse.length ? 'error' : 'info',
    message: lead
      ? `${lead.message} Confirmed by ${packets}.`
      : `Probe: ${packets}${worse.length ? ' after the change' : ' (already so today: not this change\'s doing)'}.`,
    fix: lead?.fix ?? FIX[kind],
    location: shown[0]?.decidedBy ?? lead?.location ?? null,
    evidence: lead ? 'analysis+probe' : 'probe',
  };
}

/**
 * The rule analysis' findings and the probes' results as one list, one finding per problem: where
 * real packets tested the same flow (the session, new logins), their verdict absorbs the analysis'
 * finding (marked confirmed), or — when they passed — drops the analysis' uncertain warnings about it.
 * Failing must-allow/must-deny probes block; probe notes become info findings.
 */
export function mergeProbeFindings(analysis: FindingT[], results: ProbeResult[]): FindingT[] {
  let out = [...analysis];
  const extra: FindingT[] = [];
  for (const kind of ['session', 'new-login'] as const) {
    const probed = results.filter((r) => r.kind === kind && r.observed !== 'not-run');
    if (probed.length === 0) continue;
    const code = ANALYSIS[kind]!;
    const same = out.filter((f) => f.code === code);
    const failing = probed.filter((r) => !r.pass);
    if (failing.length) {
      out = out.filter((f) => f.code !== code);
      extra.push(oneFinding(kind, failing, same));
    } else {
      // The packets passed: an uncertain or already-so analysis warning about the same flow is noise.
      out = out.filter((f) => f.code !== code || f.severity === 'error');
      for (const f of out.filter((x) => x.code === code)) f.message += ` (Real packets through the proposed ruleset passed: ${probed.map((r) => r.description).join('; ')}.)`;
    }
  }
  for (const r of results.filter((x) => (x.kind === 'must-allow' || x.kind === 'must-deny') && !x.pass)) {
    extra.push({ code: CODE[r.kind], severity: 'error', message: `Probe: ${said(r)} after the change (real packets through the proposed ruleset).`, fix: FIX[r.kind], location: r.decidedBy, evidence: 'probe' });
  }
  const notes = [...new Set(results.map((r) => r.note).filter((n): n is string => Boolean(n)))];
  for (const note of notes) extra.push({ code: 'PROBE_NOTE', severity: 'info', message: `Probes: ${note}.`, fix: 'Nothing to do; read the probe results with that in mind.', location: null });
  return [...extra, ...out].sort((x, y) => RANK[x.severity] - RANK[y.severity]);
}

/** The probes' findings alone (no rule analysis to merge with). */
export function probeFindings(results: ProbeResult[]): FindingT[] {
  return mergeProbeFindings([], results);
}
