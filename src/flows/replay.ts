import type { FindingT } from '../plan/schema.js';
import type { ProbeResult } from '../probes/run-probes.js';
import { whatHappened } from '../probes/attribution.js';
import { mergeProbeFindings, type MergeContext } from '../probes/findings.js';
import { interfaceOf } from '../probes/host-info.js';
import type { ProbeRuleset } from '../probes/run-probes.js';
import type { FlowProbe, NetFlowProbe, ReplayedFlow, UnprobedFlow } from './probe-specs.js';

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

/** The host's flows to replay: inbound ones for the lockout probes, the rest for the network replay. */
export interface FlowReplay {
  probes: FlowProbe[];
  net: NetFlowProbe[];
  unprobed: UnprobedFlow[];
  forwarding: { ipv4: boolean; ipv6: boolean };
}

/** The network replay's outcome: its results, or why it failed (its flows are then not probed). */
export type NetReplayOutcome = { results: ProbeResult[]; error: null } | { results: null; error: string };

/** The host's flows to replay (plan --flows), or null when not asked or not probing. */
export async function flowReplay(
  enabled: boolean,
  netns: string | null,
  file: string | null,
): Promise<FlowReplay | null> {
  if (!enabled) return null;
  const [{ collectInventory }, { flowProbes }] = await Promise.all([
    import('./inventory.js'),
    import('./probe-specs.js'),
  ]);
  const inventory = await collectInventory({ netns, flowsFile: file });
  return { ...flowProbes(inventory), forwarding: inventory.forwarding };
}

/**
 * Outbound, forwarded, ICMP, PMTU and ND flows replayed in their own scratch network (beside the probes),
 * through the base and the proposal as `ruleset` loads and swaps them. Null when there is none to replay;
 * a failure is returned, never thrown.
 */
export async function replayNet(
  replay: FlowReplay | null,
  netns: string | null,
  sshServer: string | null,
  ruleset: ProbeRuleset,
): Promise<NetReplayOutcome | null> {
  if (!replay || replay.net.length === 0) return null;
  try {
    const [{ replayNetFlows }, { liveInterfaces }, { hostAddressOf, peersOf }] = await Promise.all([
      import('./net-replay.js'),
      import('./live-ifaces.js'),
      import('./net-spec.js'),
    ]);
    const ifaces = await liveInterfaces(
      netns,
      replay.net.flatMap((p) => [...peersOf(p.net), hostAddressOf(p.net)].filter((a): a is string => a !== null)),
      (await interfaceOf(netns, sshServer)) ?? 'eth0',
    );
    const results = await replayNetFlows({
      ...ruleset,
      probes: replay.net.map((p) => ({ tag: p.tag, spec: p.net })),
      routeOf: (a) => ifaces.get(a) ?? { iface: 'eth0', via: null },
      forwarding: replay.forwarding,
    });
    return { results, error: null };
  } catch (error: unknown) {
    return { results: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The rule analysis, the probes' results and the replayed flows as one list (one finding per problem),
 * errors first: the replayed flows' verdicts (lockout probes and network replay) become FLOW_* findings,
 * the rest merge as mergeProbeFindings does. A failed network replay leaves its flows not probed, never passing.
 */
export function mergeWithFlows(
  analysis: FindingT[],
  results: ProbeResult[] | null,
  replay: FlowReplay | null,
  ctx: MergeContext,
  net: NetReplayOutcome | null = null,
): FindingT[] {
  if (!results) return analysis;
  const replayed = replay
    ? flowFindings(
        [...replay.probes, ...replay.net],
        net?.results
          ? replay.unprobed
          : [
              ...replay.unprobed,
              ...replay.net.map((p) => ({
                label: p.label,
                why: net ? `the replay failed: ${net.error}` : 'the network replay did not run',
              })),
            ],
        [...results, ...(net?.results ?? [])],
      )
    : null;
  const findings = mergeProbeFindings(analysis, replayed?.rest ?? results, ctx);
  if (!replayed) return findings;
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return [...findings, ...replayed.findings].sort((a, b) => rank[a.severity] - rank[b.severity]);
}
