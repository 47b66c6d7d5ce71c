import type { ProbeSpecT } from '../probes/spec.js';
import type { FlowInventoryT } from './schema.js';
import { describeClass, describeDeclared } from './render.js';

/** One flow of the inventory to replay through the proposal, and what it means if it breaks. */
export interface FlowProbe {
  spec: ProbeSpecT;
  origin: 'live' | 'declared' | 'listener';
  /** Breaking it blocks the change (live established flows, declared flows); a listener is a warning. */
  blocking: boolean;
  label: string;
  process: string | null;
  connections: number;
}

/** Flows the probes cannot replay (outbound, forwarded, ICMP), listed as not probed — never as passing. */
export interface UnprobedFlow {
  label: string;
  why: string;
}

export const MAX_FLOW_PROBES = 48;

const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';

/**
 * The inbound TCP/UDP flows of the inventory as probe specs: live classes first (a flow that passes
 * today), then declared flows, then listening services; at most MAX_FLOW_PROBES, one per
 * protocol/peer/address/port. The rest is returned as not probed, with why.
 */
export function flowProbes(inv: FlowInventoryT): { probes: FlowProbe[]; unprobed: UnprobedFlow[] } {
  const probes: FlowProbe[] = [];
  const unprobed: UnprobedFlow[] = [];
  const seen = new Set<string>();
  const add = (p: FlowProbe): void => {
    const key = `${p.spec.proto} ${p.spec.from} ${p.spec.to} ${p.spec.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (probes.length >= MAX_FLOW_PROBES)
      unprobed.push({ label: p.label, why: `more than ${MAX_FLOW_PROBES} flows to replay` });
    // A neutral tag as the probe's text: the probes read the first `a → b:port` of a description as its packet.
    else probes.push({ ...p, spec: { ...p.spec, text: `flow#${probes.length + 1}` } });
  };
  for (const c of inv.classes) {
    const label = describeClass(c);
    if (c.direction !== 'in') {
      unprobed.push({ label, why: `${c.direction === 'out' ? 'outbound' : 'forwarded'} flows are not replayed yet` });
      continue;
    }
    if ((c.proto !== 'tcp' && c.proto !== 'udp') || c.port === null) {
      unprobed.push({ label, why: `${c.proto} flows are not replayed yet` });
      continue;
    }
    // From a real client of the class: a prefix's first address could be the host's own.
    add({
      spec: { proto: c.proto, port: c.port, from: c.sample, to: c.local, text: label },
      origin: 'live',
      blocking: c.established > 0,
      label,
      process: c.process,
      connections: c.connections,
    });
  }
  for (const f of inv.declared) {
    const label = describeDeclared(f);
    const inbound =
      f.direction === 'in' || (f.direction === null && (f.to === null || inv.localAddresses.includes(f.to)));
    if (!inbound || (f.proto !== 'tcp' && f.proto !== 'udp') || f.port === null) {
      unprobed.push({
        label,
        why: !inbound ? 'outbound and forwarded flows are not replayed yet' : `${f.proto} flows are not replayed yet`,
      });
      continue;
    }
    add({
      spec: { proto: f.proto, port: f.port, from: f.from, to: f.to, text: label },
      origin: 'declared',
      blocking: true,
      label,
      process: null,
      connections: 0,
    });
  }
  for (const l of inv.listeners) {
    if (l.address.startsWith('127.') || l.address === '::1') continue;
    const label = `${l.proto} listener ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}${l.process ? ` (${l.process})` : ''}`;
    add({
      spec: { proto: l.proto, port: l.port, from: null, to: wildcard(l.address) ? null : l.address, text: label },
      origin: 'listener',
      blocking: false,
      label,
      process: l.process,
      connections: 0,
    });
  }
  return { probes, unprobed };
}
