import { droppedByChange, hedge } from './verdict-change.js';
import type { Packet } from './packet-walk.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

const icmp = (family: Packet['family'], icmpType: string, ctstate: Packet['ctstate']): Packet => ({
  family,
  proto: family === 'ipv4' ? 'icmp' : 'icmpv6',
  icmpType,
  ctstate,
  saddr: null,
  daddr: null,
  dport: null,
  iifname: null,
});

/** IPv6 needs neighbour discovery and packet-too-big; IPv4 path MTU discovery needs "fragmentation needed". */
export const icmpBlocked: Analyser = (ctx) => {
  const out: FindingT[] = [];
  // ND is never tracked by conntrack; packet-too-big arrives as "related" to the flow it is about.
  const v6: [string, Packet['ctstate']][] = [
    ['nd-neighbor-solicit', 'untracked'],
    ['nd-neighbor-advert', 'untracked'],
    ['packet-too-big', 'related'],
  ];
  const blocked6 = v6
    .map(([type, state]) => ({ type, d: droppedByChange(ctx, icmp('ipv6', type, state)) }))
    .filter((x) => x.d !== null);
  if (blocked6.length) {
    const d = blocked6[0]!.d!;
    // Without neighbour discovery IPv6 stops once the neighbour entries expire: blocking where IPv6 is in use.
    const nd = blocked6.some((x) => x.type.startsWith('nd-'));
    out.push({
      code: 'ICMPV6_BLOCKED',
      severity: nd && ctx.ipv6InUse && !d.already && !d.after.uncertain ? 'error' : 'warning',
      message: `After this change incoming ICMPv6 ${blocked6.map((x) => x.type).join(', ')} would be dropped (by ${d.after.decidedBy})${hedge(d)}: without neighbour discovery IPv6 stops working (once the neighbour entries expire), without packet-too-big large transfers hang.${nd && ctx.ipv6InUse ? ' IPv6 is in use on this host.' : ''}`,
      fix: 'Accept them before any drop: `icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, packet-too-big, destination-unreachable, time-exceeded } accept`.',
      location: d.after.decidedBy,
    });
  }
  const frag = droppedByChange(ctx, icmp('ipv4', 'destination-unreachable', 'related'));
  if (frag) {
    out.push({
      code: 'ICMP_FRAG_NEEDED_BLOCKED',
      severity: 'warning',
      message: `After this change incoming ICMP "fragmentation needed" would be dropped (by ${frag.after.decidedBy})${hedge(frag)}: path MTU discovery fails and large transfers hang (a PMTU black hole).`,
      fix: 'Accept `ct state established,related` early, or `icmp type { destination-unreachable, time-exceeded } accept`.',
      location: frag.after.decidedBy,
    });
  }
  return out;
};
