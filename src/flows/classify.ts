import { clientPrefix } from './address.js';
import type { ConntrackEntry } from './conntrack.js';
import type { Socket } from './sockets.js';
import type { FlowClassT, ListenerT } from './schema.js';

const isWildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';

/** The process listening on a port (a specific address before a wildcard one). */
export function listenerFor(
  listeners: ListenerT[],
  proto: string,
  address: string,
  port: number | null,
): ListenerT | null {
  if (port === null) return null;
  const same = listeners.filter((l) => l.proto === proto && l.port === port);
  return same.find((l) => l.address === address) ?? same.find((l) => isWildcard(l.address)) ?? null;
}

/**
 * Groups conntrack entries into flow classes — what one firewall rule would match: protocol, direction,
 * peer (an inbound client's /24 or /64; a server's own address), service port, zone — biggest first,
 * cut at `top`.
 */
export function classify(
  entries: ConntrackEntry[],
  context: { local: Set<string>; listeners: ListenerT[]; sockets: Socket[]; top: number },
): { classes: FlowClassT[]; omitted: number } {
  const classes = new Map<string, FlowClassT>();
  for (const e of entries) {
    const direction = context.local.has(e.dst) ? 'in' : context.local.has(e.src) ? 'out' : 'forward';
    const peer = direction === 'in' ? clientPrefix(e.src) : e.dst;
    const local = direction === 'in' ? e.dst : e.src;
    const port = e.proto === 'icmp' || e.proto === 'icmpv6' ? null : e.dport;
    const key = [e.proto, direction, peer, local, port, e.zone].join(' ');
    let c = classes.get(key);
    if (!c) {
      const process =
        direction === 'in'
          ? (listenerFor(context.listeners, e.proto, e.dst, port)?.process ?? null)
          : direction === 'out'
            ? (context.sockets.find(
                (s) =>
                  s.proto === e.proto &&
                  s.peer.address === e.dst &&
                  s.peer.port === e.dport &&
                  s.local.port === e.sport,
              )?.process ?? null)
            : null;
      c = {
        proto: e.proto,
        direction,
        family: e.family,
        peer,
        sample: direction === 'in' ? e.src : e.dst,
        local,
        port,
        zone: e.zone,
        connections: 0,
        packets: null,
        established: 0,
        process,
      };
      classes.set(key, c);
    }
    c.connections += 1;
    if (e.packets !== null) c.packets = (c.packets ?? 0) + e.packets;
    if (e.assured) c.established += 1;
  }
  const sorted = [...classes.values()].sort(
    (a, b) => (b.packets ?? 0) - (a.packets ?? 0) || b.connections - a.connections || a.peer.localeCompare(b.peer),
  );
  return { classes: sorted.slice(0, context.top), omitted: Math.max(0, sorted.length - context.top) };
}
