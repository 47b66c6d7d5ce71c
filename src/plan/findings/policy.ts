import { droppedByChange, hedge } from './verdict-change.js';
import type { Packet } from './packet-walk.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

// A reply to a connection the host opened (a high port), and a local client talking to a local service.
const reply = (family: Packet['family']): Packet => ({
  family,
  proto: 'tcp',
  saddr: null,
  daddr: null,
  dport: 43210,
  ctstate: 'established',
  iifname: null,
});
const loopback = (family: Packet['family']): Packet => ({
  family,
  proto: 'tcp',
  saddr: family === 'ipv4' ? '127.0.0.1' : '::1',
  daddr: family === 'ipv4' ? '127.0.0.1' : '::1',
  dport: 5432,
  ctstate: 'new',
  iifname: 'lo',
});

/** Input dropping established/related traffic (replies, existing sessions), or loopback traffic. */
export const dropPolicy: Analyser = (ctx) => {
  const out: FindingT[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const established = droppedByChange(ctx, reply(family));
    if (established && !out.some((f) => f.code === 'DROP_WITHOUT_ESTABLISHED')) {
      out.push({
        code: 'DROP_WITHOUT_ESTABLISHED',
        severity: 'warning',
        message: `After this change established traffic (${family === 'ipv4' ? 'IPv4' : 'IPv6'} replies to the host's own connections, existing sessions) would be dropped by ${established.after.decidedBy}${hedge(established)}.`,
        fix: 'Add `ct state established,related accept` as the first rule of the input chain.',
        location: established.after.decidedBy,
      });
    }
    const lo = droppedByChange(ctx, loopback(family));
    if (lo && !out.some((f) => f.code === 'DROP_WITHOUT_LOOPBACK')) {
      out.push({
        code: 'DROP_WITHOUT_LOOPBACK',
        severity: 'warning',
        message: `After this change loopback traffic (local clients to local services on ${family === 'ipv4' ? '127.0.0.1' : '::1'}) would be dropped by ${lo.after.decidedBy}${hedge(lo)}.`,
        fix: 'Add `iif "lo" accept` near the top of the input chain.',
        location: lo.after.decidedBy,
      });
    }
  }
  // A forward chain with rules routes something: its replies need established accepted too.
  // (An empty forward chain with policy drop is a deliberate "this host does not route".)
  const routes = ctx.result.tables.some(
    (t) =>
      ctx.touched.includes(t.key) &&
      t.chains.some((c) => c.hook === 'forward' && c.type === 'filter' && c.rules.length > 0),
  );
  const forwarded = routes
    ? (droppedByChange(ctx, reply('ipv4'), 'forward') ?? droppedByChange(ctx, reply('ipv6'), 'forward'))
    : null;
  if (forwarded) {
    out.push({
      code: 'FORWARD_DROP_WITHOUT_ESTABLISHED',
      severity: 'warning',
      message: `After this change forwarded established traffic (replies of routed or container connections) would be dropped by ${forwarded.after.decidedBy}${hedge(forwarded)}.`,
      fix: 'Add `ct state established,related accept` as the first rule of the forward chain.',
      location: forwarded.after.decidedBy,
    });
  }
  return out;
};
