import type { FindingT } from '../plan/schema.js';
import type { ProbeResult } from './run-probes.js';
import { whatHappened } from './attribution.js';

const CODE: Record<ProbeResult['kind'], string> = {
  session: 'PROBE_SESSION_CUT',
  'new-login': 'PROBE_NEW_LOGIN_BLOCKED',
  'must-allow': 'PROBE_MUST_ALLOW_FAILED',
  'must-deny': 'PROBE_MUST_DENY_FAILED',
};

/** The backend and table of a deciding rule: "ip filter INPUT: …" (nft trace), "iptables-legacy v4 filter INPUT: …". */
export function decidingTable(decidedBy: string): { key: string; backend: 'nft' | 'iptables-nft' | 'iptables-legacy'; chain: string } | null {
  const legacy = /^iptables-legacy (v4|v6) (\S+) (\S+):/.exec(decidedBy);
  if (legacy) return { key: `iptables-legacy ${legacy[1]} ${legacy[2]}`, backend: 'iptables-legacy', chain: legacy[3]! };
  const nft = /^(\S+) (\S+) (\S+):/.exec(decidedBy);
  if (!nft) return null;
  // iptables-nft's tables are ip/ip6 tables with iptables' built-in chain names.
  const xt = /^ip6?$/.test(nft[1]!) && /^(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING|[A-Z][A-Z0-9_-]*)$/.test(nft[3]!);
  return { key: `${nft[1]} ${nft[2]}`, backend: xt ? 'iptables-nft' : 'nft', chain: nft[3]! };
}

/**
 * An intended accept dropped by a rule in a table the change does not touch: say why (every base chain
 * on the hook must accept), name the deciding rule and its backend, give the fix in that backend's format.
 */
function crossTable(r: ProbeResult, own: string[]): { message: string; fix: string } | null {
  const at = r.kind === 'must-allow' && r.decidedBy ? decidingTable(r.decidedBy) : null;
  if (!at || own.includes(at.key)) return null;
  const port = /:(\d+)\)$/.exec(r.description)?.[1] ?? 'PORT';
  const message = ` An accept cannot override a drop in another base chain: each table on the hook (every nft table, iptables-nft's and iptables-legacy's) must accept the packet, and ${r.decidedBy} (${at.backend}) drops it.`;
  const fix = at.backend === 'nft'
    ? `Accept it in ${at.key} itself, before the drop: \`insert rule ${at.key} ${at.chain} tcp dport ${port} accept\` (an nft proposal fwsafe plans).`
    : `Accept it in ${at.backend}'s ${at.key.split(' ').pop()} table, which fwsafe stages as iptables-restore input: "*${at.key.split(' ').pop()}\n-I ${at.chain} -p tcp --dport ${port} -j ACCEPT\nCOMMIT"${at.key.includes('v6') || at.key.startsWith('ip6') ? ' (rules.v6)' : ''}.`;
  return { message, fix };
}

/**
 * Failing probes are blocking findings naming the rule that decided; notes become info findings.
 * `own` lists the tables the change itself writes ("inet filter", "ip filter", "iptables-legacy v4 filter").
 */
export function probeFindings(results: ProbeResult[], own: string[] = []): FindingT[] {
  const out: FindingT[] = [];
  for (const r of results) {
    if (!r.pass) {
      const cross = crossTable(r, own);
      out.push({
        code: CODE[r.kind],
        severity: 'error',
        message: `Probe: ${r.description} was ${whatHappened(r)} after the change (real packets through the proposed ruleset).${cross?.message ?? ''}`,
        fix: cross?.fix ?? (r.kind === 'session' ? 'Accept established traffic before any drop: `ct state established,related accept`.' : r.kind === 'must-deny' ? 'Add a rule that drops it, before any accept that matches it.' : 'Accept it before the rule that drops it.'),
        location: r.rewrite?.by ?? r.decidedBy,
      });
    }
  }
  const notes = [...new Set(results.map((r) => r.note).filter((n): n is string => Boolean(n)))];
  for (const note of notes) out.push({ code: 'PROBE_NOTE', severity: 'info', message: `Probes: ${note}.`, fix: 'Nothing to do; read the probe results with that in mind.', location: null });
  return out;
}
