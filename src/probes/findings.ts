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
export function decidingTable(
  decidedBy: string,
): { key: string; backend: 'nft' | 'iptables-nft' | 'iptables-legacy'; chain: string } | null {
  const legacy = /^iptables-legacy (v4|v6) (\S+) (\S+):/.exec(decidedBy);
  if (legacy)
    return { key: `iptables-legacy ${legacy[1]} ${legacy[2]}`, backend: 'iptables-legacy', chain: legacy[3]! };
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
  const fix =
    at.backend === 'nft'
      ? `Accept it in ${at.key} itself, before the drop: \`insert rule ${at.key} ${at.chain} tcp dport ${port} accept\` (an nft proposal fwsafe plans).`
      : `Accept it in ${at.backend}'s ${at.key.split(' ').pop()} table, which fwsafe stages as iptables-restore input: "*${at.key.split(' ').pop()}\n-I ${at.chain} -p tcp --dport ${port} -j ACCEPT\nCOMMIT"${at.key.includes('v6') || at.key.startsWith('ip6') ? ' (rules.v6)' : ''}.`;
  return { message, fix };
}

/** The rule analysis' code for the same problem a probe kind observes. */
const ANALYSIS: Partial<Record<ProbeResult['kind'], string>> = {
  session: 'SSH_SESSION_CUT',
  'new-login': 'SSH_NEW_LOGIN_BLOCKED',
};

const FIX: Record<ProbeResult['kind'], string> = {
  session: 'Accept established traffic before any drop: `ct state established,related accept`.',
  'new-login': 'Accept it before the rule that drops it.',
  'must-allow': 'Accept it before the rule that drops it.',
  'must-deny': 'Add a rule that drops it, before any accept that matches it.',
};

const RANK = { error: 0, warning: 1, info: 2 } as const;

const why = (r: ProbeResult): string => r.note?.split('; ').find((n) => n.startsWith('IPv6 neighbour discovery')) ?? '';
// Attribution in words (dropped by, rejected by, rewritten towards…); an ND failure says that instead.
const said = (r: ProbeResult): string =>
  `${r.description} was ${why(r) ? `${r.observed} (${why(r)})` : whatHappened(r)}`;

/** How the probes chose whose logins to test, and whether IPv6 counts (see admins.ts). */
export interface MergeContext {
  mode: 'session' | 'given' | 'any';
  ipv6InUse: boolean;
  /** The tables the change itself writes ("inet filter", "ip filter", "iptables-legacy v4 filter"). */
  own?: string[];
}

const familyOf = (r: ProbeResult): 'IPv4' | 'IPv6' =>
  / ([0-9a-fA-F:]*:[0-9a-fA-F:]*) → /.test(r.description) ? 'IPv6' : 'IPv4';

/**
 * Is a worse result blocking? For the session or the admin addresses given: yes. For "any address that
 * can log in today": when, in a family that matters, none of them can log in after (a lockout of
 * everyone); restricting SSH to some of them is a warning that names who loses access.
 */
function blocking(kind: ProbeResult['kind'], worse: ProbeResult[], probed: ProbeResult[], ctx: MergeContext): boolean {
  if (worse.length === 0) return false;
  const any = (r: ProbeResult): boolean => r.anyCandidate ?? (kind === 'new-login' && ctx.mode === 'any');
  if (kind !== 'new-login' || worse.some((r) => !any(r))) return true;
  return (['IPv4', 'IPv6'] as const).some((fam) => {
    if (fam === 'IPv6' && !ctx.ipv6InUse) return false;
    const all = probed.filter((r) => any(r) && familyOf(r) === fam);
    return all.length > 0 && all.every((r) => !r.pass) && worse.some((r) => familyOf(r) === fam);
  });
}

/** One finding for the failing probes of one kind: blocking only when the change makes it worse. */
function oneFinding(
  kind: ProbeResult['kind'],
  failing: ProbeResult[],
  probed: ProbeResult[],
  confirmed: FindingT[],
  ctx: MergeContext,
): FindingT {
  const worse = failing.filter((r) => r.worse);
  const shown = worse.length ? worse : failing;
  const lead = confirmed.find((f) => f.severity === 'error') ?? confirmed[0];
  const still = probed.filter((r) => r.pass);
  const packets = `real packets through the proposed ruleset: ${shown.map(said).join('; ')}${still.length ? `; still allowed: ${still.map((r) => r.description).join('; ')}` : ''}`;
  return {
    code: lead?.code ?? CODE[kind],
    severity: blocking(kind, worse, probed, ctx) ? 'error' : worse.length ? 'warning' : 'info',
    message: lead
      ? `${lead.message} Confirmed by ${packets}.`
      : `Probe: ${packets}${worse.length ? ' after the change' : " (already so today: not this change's doing)"}.`,
    fix: lead?.fix ?? FIX[kind],
    location: shown[0]?.rewrite?.by ?? shown[0]?.decidedBy ?? lead?.location ?? null,
    evidence: lead ? 'analysis+probe' : 'probe',
  };
}

/**
 * The rule analysis' findings and the probes' results as one list, one finding per problem: where
 * real packets tested the same flow (the session, new logins), their verdict absorbs the analysis'
 * finding (marked confirmed), or — when they passed — drops the analysis' uncertain warnings about it.
 * Failing must-allow/must-deny probes block; probe notes become info findings.
 */
export function mergeProbeFindings(
  analysis: FindingT[],
  results: ProbeResult[],
  ctx: MergeContext = { mode: 'session', ipv6InUse: false },
): FindingT[] {
  let out = [...analysis];
  const extra: FindingT[] = [];
  // Flows that failed because neighbour discovery failed are the ND finding's evidence, not problems of their own.
  const ndFinding = out.find((f) => f.code === 'ICMPV6_BLOCKED');
  const byNd = ndFinding ? results.filter((r) => !r.pass && why(r)) : [];
  if (ndFinding && byNd.length) {
    out = out.map((f) =>
      f === ndFinding
        ? {
            ...f,
            severity: byNd.some((r) => r.worse) && ctx.ipv6InUse ? 'error' : f.severity,
            message: `${f.message} Confirmed by real packets through the proposed ruleset (neighbour caches emptied): ${byNd.map(said).join('; ')}.`,
            evidence: 'analysis+probe',
          }
        : f,
    );
  }
  for (const kind of ['session', 'new-login'] as const) {
    const probed = results.filter((r) => r.kind === kind && r.observed !== 'not-run' && !byNd.includes(r));
    if (probed.length === 0) continue;
    const code = ANALYSIS[kind]!;
    const same = out.filter((f) => f.code === code);
    const failing = probed.filter((r) => !r.pass);
    if (failing.length) {
      out = out.filter((f) => f.code !== code);
      extra.push(oneFinding(kind, failing, probed, same, ctx));
    } else {
      // The packets passed: an uncertain or already-so analysis warning about the same flow is noise.
      out = out.filter((f) => f.code !== code || f.severity === 'error');
      for (const f of out.filter((x) => x.code === code))
        f.message += ` (Real packets through the proposed ruleset passed: ${probed.map((r) => r.description).join('; ')}.)`;
    }
  }
  for (const r of results.filter((x) => (x.kind === 'must-allow' || x.kind === 'must-deny') && !x.pass)) {
    const natNote = r.note?.split('; ').find((n) => n.startsWith('followed the NAT'));
    // An accept dropped in a table the change does not write: why, and the fix in that table's format.
    const cross = crossTable(r, ctx.own ?? []);
    const message = `Probe: ${said(r)} after the change (real packets through the proposed ruleset${natNote ? `; ${natNote}` : ''}).${cross?.message ?? ''}`;
    extra.push({
      code: CODE[r.kind],
      severity: 'error',
      message,
      fix: cross?.fix ?? FIX[r.kind],
      location: r.rewrite?.by ?? r.decidedBy,
      evidence: 'probe',
    });
  }
  const notes = [
    ...new Set(
      results
        .flatMap((r) => (r.note ?? '').split('; '))
        .filter(
          (n) => n && !n.startsWith('followed the NAT') && !(byNd.length && n.startsWith('IPv6 neighbour discovery')),
        ),
    ),
  ];
  for (const note of notes)
    extra.push({
      code: 'PROBE_NOTE',
      severity: 'info',
      message: `Probes: ${note}.`,
      fix: 'Nothing to do; read the probe results with that in mind.',
      location: null,
    });
  return [...extra, ...out].sort((x, y) => RANK[x.severity] - RANK[y.severity]);
}

/** The probes' findings alone (no rule analysis to merge with); `own`: the tables the change writes. */
export function probeFindings(results: ProbeResult[], own: string[] = []): FindingT[] {
  return mergeProbeFindings([], results, { mode: 'session', ipv6InUse: false, own });
}

/** The lockout probes could not run: a warning, and the analysis named by `relyOn` stands alone. */
export function probesFailed(why: string, relyOn = 'rule analysis'): FindingT {
  return {
    code: 'PROBES_FAILED',
    severity: 'warning',
    message: `The lockout probes could not run: ${why}`,
    fix: `Rely on the ${relyOn} above, or run plan again.`,
    location: null,
  };
}
