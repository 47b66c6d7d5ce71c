import type { FindingT } from '../plan/schema.js';
import type { ProbeResult } from '../probes/run-probes.js';
import { whatHappened } from '../probes/attribution.js';
import type { ReplayedFlow, UnprobedFlow } from './probe-specs.js';

const who = (p: ReplayedFlow): string =>
  [p.process, p.connections > 0 ? `${p.connections} live connection${p.connections === 1 ? '' : 's'}` : null]
    .filter(Boolean)
    .join(', ');

/**
 * The verdicts of the replayed flows as findings: a flow that passes today and not after is cut
 * (blocking for live established and declared flows, a warning for a listening service); a service that
 * was closed today and answers after is newly exposed; a declared flow blocked already is said so.
 * Returns the other probe results untouched.
 */
export function flowFindings(
  flows: ReplayedFlow[],
  unprobed: UnprobedFlow[],
  results: ProbeResult[],
): { findings: FindingT[]; rest: ProbeResult[] } {
  const findings: FindingT[] = [];
  const mine = new Set<ProbeResult>();
  for (const flow of flows) {
    const r = results.find((x) => x.kind === 'must-allow' && x.description.startsWith(`${flow.tag} (`));
    if (!r) continue;
    mine.add(r);
    const whom = who(flow) ? ` (${who(flow)})` : '';
    // Not run: what carries it (a PMTU replay's TCP flow) is cut, and that flow's own finding says so.
    if (r.observed === 'not-run') continue;
    if (r.before === 'allowed' && r.observed !== 'allowed') {
      findings.push({
        code: 'FLOW_CUT',
        severity: flow.blocking ? 'error' : 'warning',
        message:
          flow.origin === 'derived'
            ? `${flow.label}${whom}: delivered today, would be ${whatHappened(r)} after the change (real packets through the proposed ruleset).`
            : `${flow.origin === 'listener' ? 'The service' : 'The flow'} ${flow.label}${whom} passes today and would be ${whatHappened(r)} after the change (real packets through the proposed ruleset).`,
        fix:
          flow.fix ??
          (flow.origin === 'listener'
            ? 'If nobody should reach it any more, nothing to do; otherwise accept it before the rule that drops it.'
            : 'Accept it before the rule that drops it, or declare why it may go.'),
        location: r.decidedBy,
        evidence: 'probe',
      });
    } else if (flow.origin === 'listener' && r.before !== null && r.before !== 'allowed' && r.observed === 'allowed') {
      findings.push({
        code: 'FLOW_NEWLY_EXPOSED',
        severity: 'warning',
        message: `The service ${flow.label}${whom} is closed today and would answer from anywhere after the change (real packets through the proposed ruleset).`,
        fix: 'Restrict it to the clients that need it, or confirm the exposure is intended.',
        location: r.decidedBy,
        evidence: 'probe',
      });
    } else if (flow.origin === 'declared' && r.observed !== 'allowed') {
      findings.push({
        code: 'FLOW_DECLARED_BLOCKED',
        severity: 'warning',
        message: `The declared flow ${flow.label} is ${whatHappened(r)} — today already, not because of this change.`,
        fix: 'Fix the rule that blocks it, or remove the flow from the flows file.',
        location: r.decidedBy,
        evidence: 'probe',
      });
    }
  }
  if (unprobed.length > 0) {
    const shown = unprobed
      .slice(0, 8)
      .map((u) => `${u.label} (${u.why})`)
      .join('; ');
    findings.push({
      code: 'FLOWS_NOT_PROBED',
      severity: 'info',
      message: `${unprobed.length} flow${unprobed.length === 1 ? '' : 's'} of the host could not be replayed and are not known to pass: ${shown}${unprobed.length > 8 ? '; …' : ''}.`,
      fix: 'Check them after applying, before you confirm.',
      location: null,
      evidence: 'probe',
    });
  }
  return { findings, rest: results.filter((r) => !mine.has(r)) };
}
