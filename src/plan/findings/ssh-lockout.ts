import { walkInput, type Packet } from './packet-walk.js';
import type { Analyser, FindingContext } from './context.js';
import type { FindingT } from '../schema.js';

const NAME = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;

interface Drop {
  state: 'new' | 'established';
  from: string | null;
  port: number;
  families: string[];
  decidedBy: string;
  definite: boolean;
  worse: boolean;
}

export interface SshPacket {
  port: number;
  state: 'new' | 'established';
  family: Packet['family'];
  packet: Packet;
}

/**
 * Whose logins are checked: the SSH session's client, else the admin addresses given, else any source
 * over IPv4 and IPv6. IPv6 is always checked when it is in use (an IPv4 session does not make it moot).
 */
function sources(ctx: FindingContext): { family: Packet['family']; saddr: string | null; daddr: string | null }[] {
  const family = (a: string): Packet['family'] => (a.includes(':') ? 'ipv6' : 'ipv4');
  const given = ctx.ssh ? [ctx.ssh.client] : (ctx.adminAddresses ?? []);
  const out: { family: Packet['family']; saddr: string | null; daddr: string | null }[] = given.map((a) => ({
    family: family(a),
    saddr: a,
    daddr: ctx.ssh && family(ctx.ssh.server) === family(a) ? ctx.ssh.server : null,
  }));
  if (out.length === 0)
    out.push({ family: 'ipv4', saddr: null, daddr: null }, { family: 'ipv6', saddr: null, daddr: null });
  else if (ctx.ipv6InUse && !out.some((s) => s.family === 'ipv6'))
    out.push({ family: 'ipv6', saddr: null, daddr: null });
  return out;
}

/** The packets of a new SSH login and of the admin's session, per SSH port and source (address family). */
export function sshPackets(ctx: FindingContext): SshPacket[] {
  const out: SshPacket[] = [];
  const ports = [...new Set([...(ctx.ssh ? [ctx.ssh.serverPort] : []), ...ctx.sshPorts])].sort((a, b) => a - b);
  for (const port of ports) {
    for (const state of ['new', 'established'] as const) {
      for (const { family, saddr, daddr } of sources(ctx)) {
        out.push({
          port,
          state,
          family,
          packet: { family, proto: 'tcp', saddr, daddr, dport: port, ctstate: state, iifname: null },
        });
      }
    }
  }
  return out;
}

/** Would a NEW SSH login, and the admin's ESTABLISHED session, still be accepted after the change? */
export const sshLockout: Analyser = (ctx) => {
  const drops: Drop[] = [];
  for (const { port, state, family, packet } of sshPackets(ctx)) {
    const after = walkInput(ctx.result, packet);
    if (after.verdict !== 'drop') continue;
    const drop: Drop = {
      state,
      port,
      from: packet.saddr,
      families: [NAME[family]],
      decidedBy: after.decidedBy,
      definite: !after.uncertain,
      worse: walkInput(ctx.base, packet).verdict === 'accept',
    };
    // The same verdict for IPv4 and IPv6 is one finding ("over IPv4 and IPv6"), not two.
    const same = drops.find(
      (d) =>
        d.state === state &&
        d.port === port &&
        d.from === packet.saddr &&
        d.decidedBy === drop.decidedBy &&
        d.definite === drop.definite &&
        d.worse === drop.worse,
    );
    if (same) same.families.push(NAME[family]);
    else drops.push(drop);
  }
  return drops.map((d): FindingT => {
    const who = d.from ? `from ${d.from}` : `over ${d.families.join(' and ')}`;
    const what =
      d.state === 'new'
        ? `a new SSH login to port ${d.port} ${who}`
        : `the established SSH session on port ${d.port} ${who}`;
    return {
      code: d.state === 'new' ? 'SSH_NEW_LOGIN_BLOCKED' : 'SSH_SESSION_CUT',
      severity: d.worse && d.definite ? 'error' : 'warning',
      message: `After this change ${what} would ${d.definite ? '' : 'probably '}be dropped, decided by ${d.decidedBy}.${d.worse ? '' : ' (It is already dropped today.)'}`,
      fix:
        d.state === 'new'
          ? `Accept it before any drop, e.g. \`tcp dport ${d.port} accept\` (scoped to your admin addresses if you like) in the input chain.`
          : 'Accept established traffic first in every input chain: `ct state established,related accept`.',
      location: d.decidedBy,
    };
  });
};
