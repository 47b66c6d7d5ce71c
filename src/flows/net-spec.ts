/**
 * A flow the inbound probes cannot replay, as the network replay sends it: the host as a client (`out`),
 * traffic the host routes (`forward`), ICMP echo, PMTU errors for a TCP flow, IPv6 neighbour discovery.
 */
export interface NetSpec {
  kind: 'out' | 'forward' | 'echo' | 'pmtu' | 'nd';
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  /** Which way the flow's first packet goes through the host. */
  direction: 'in' | 'out' | 'forward';
  /** The sender of the first packet: the host's own address (out) or the peer's (in, forward); nd: the interface. */
  src: string;
  /** Its destination: a peer (out, forward) or the host's own address (in). */
  dst: string;
  /** TCP/UDP port of the service; null for ICMP and neighbour discovery. */
  port: number | null;
}

export const isV6 = (a: string): boolean => a.includes(':');

/** The address of the other end of a spec (never the host's own): where the scratch peer sits. */
export function peersOf(s: NetSpec): string[] {
  if (s.kind === 'nd') return [];
  if (s.kind === 'forward' || (s.kind === 'echo' && s.direction === 'forward')) return [s.src, s.dst];
  return [s.direction === 'in' ? s.src : s.dst];
}

/** The host's own address in a spec (none for a forwarded flow). */
export function hostAddressOf(s: NetSpec): string | null {
  if (s.direction === 'forward') return null;
  return s.direction === 'in' ? s.dst : s.src;
}
