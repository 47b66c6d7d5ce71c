import { z } from 'zod';
import { ProbeProto } from '../probes/spec.js';

export const FlowProto = z.enum(['tcp', 'udp', 'icmp', 'icmpv6']);
/** What conntrack shows: the flows file's protocols, and those listed as not probed. */
export const ClassProto = z.enum(['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'dccp', 'udplite', 'gre', 'other']);
export const FlowDirection = z.enum(['in', 'out', 'forward']);

/** One flow the admin declares in a flows file: `tcp from 10.0.0.0/24 to :9100 name=prometheus`. */
export const DeclaredFlow = z.strictObject({
  proto: FlowProto,
  /** Address or prefix the flow comes from; null: anywhere. */
  from: z.string().nullable(),
  /** Address or prefix it goes to; null: this host. */
  to: z.string().nullable(),
  port: z.number().int().min(1).max(65535).nullable(),
  name: z.string().nullable(),
  /** `in`/`out`/`forward` when written; otherwise derived from the host's addresses. */
  direction: FlowDirection.nullable(),
  line: z.number().int().positive(),
});
export type DeclaredFlowT = z.infer<typeof DeclaredFlow>;

/** A socket listening on this host (`ss -tulpnH`). */
export const Listener = z.strictObject({
  proto: ProbeProto,
  address: z.string(),
  port: z.number().int().min(0).max(65535),
  process: z.string().nullable(),
  pid: z.number().int().nullable(),
});
export type ListenerT = z.infer<typeof Listener>;

/** Live connections grouped by what a firewall rule would see: protocol, direction, peer, service port, zone. */
export const FlowClass = z.strictObject({
  proto: ClassProto,
  direction: FlowDirection,
  family: z.enum(['ipv4', 'ipv6']),
  /** The other end: a /24 (IPv4) or /64 (IPv6) for inbound clients, the address itself otherwise. */
  peer: z.string(),
  /** One real address of the other end (the first connection seen): what a replay sends from or to. */
  sample: z.string(),
  /** The local address of an inbound flow or the source of an outbound one (forwarded: the source). */
  local: z.string(),
  /** The service port (the destination port of the first packet); null for ICMP and protocols without ports. */
  port: z.number().int().nullable(),
  zone: z.number().int().nullable(),
  connections: z.number().int().nonnegative(),
  /** Packets in both directions when conntrack accounting is on, else null. */
  packets: z.number().int().nonnegative().nullable(),
  /** `[ASSURED]`/established entries among the connections. */
  established: z.number().int().nonnegative(),
  process: z.string().nullable(),
});
export type FlowClassT = z.infer<typeof FlowClass>;

export const FlowInventory = z.strictObject({
  netns: z.string().nullable(),
  collectedAt: z.string(),
  durationMs: z.number().nonnegative(),
  /** Whether conntrack had anything to say: tracking starts only once a ruleset uses ct or NAT. */
  conntrack: z.enum(['tracked', 'not-tracking', 'unavailable']),
  localAddresses: z.array(z.string()),
  forwarding: z.strictObject({ ipv4: z.boolean(), ipv6: z.boolean() }),
  classes: z.array(FlowClass),
  /** Classes left out past the bound (`--top`). */
  omittedClasses: z.number().int().nonnegative(),
  listeners: z.array(Listener),
  declared: z.array(DeclaredFlow),
  declaredFrom: z.string().nullable(),
});
export type FlowInventoryT = z.infer<typeof FlowInventory>;
