import type { ProbeResult } from './run-probes.js';

/**
 * What happened to a probe's packet, in words: dropped or rejected by a rule, rewritten towards another
 * address (DNAT, stateless NAT), or not delivered for a routing reason although the rules accepted it.
 */
export function whatHappened(r: ProbeResult): string {
  const by = r.decidedBy;
  if (r.observed === 'allowed') return `allowed${by ? `, decided by ${by}` : ''}`;
  if (r.observed === 'not-run') return 'not run';
  if (r.observed === 'rejected') {
    if (by && /\breject\b/i.test(by)) return `rejected by ${by}`;
    return `rejected${by ? ` (last verdict: ${by})` : ''}`;
  }
  if (r.verdict === 'drop' || (by && /: policy drop$/.test(by))) return by ? `dropped by ${by}` : 'dropped';
  if (r.rewrite) {
    const { towards, by: rule } = r.rewrite;
    return `rewritten towards ${towards} by ${rule}, so it was no longer addressed to this host and routing did not deliver it`;
  }
  if (by) {
    return (
      `not delivered for a routing reason: the rules accepted it (${by}), but it never reached the listener ` +
      '(no route, reverse-path filtering, or an address that is not local)'
    );
  }
  return 'dropped before any traced rule saw it (a routing reason, or a hook the trace does not cover)';
}
