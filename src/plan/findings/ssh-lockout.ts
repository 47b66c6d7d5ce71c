import { walkInput, type Packet } from './packet-walk.js';
import type { Analyser, FindingContext } from './context.js';
import type { FindingT } from '../schema.js';

const NAME = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;

interface Drop {
  state: 'new' | 'established';
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

/** The packets of a new SSH login and of the admin's session, per SSH port and address family. */
export function sshPackets(ctx: FindingContext): SshPacket[] {
  const out: SshPacket[] = [];
  const ports = [...new Set([...(ctx.ssh ? [ctx.ssh.serverPort] : []), ...ctx.sshPorts])].sort((a, b) => a - b);
  const families: Packet['family'][] = ctx.ssh ? [ctx.ssh.client.includes(':') ? 'ipv6' : 'ipv4'] : ['ipv4', 'ipv6'];
  for (const port of ports) {
    for (const state of ['new', 'established'] as const) {
      for (const family of families) {
        out.push({ port, state, family, packet: { family, proto: 'tcp', saddr: ctx.ssh?.client ?? null, daddr: ctx.ssh?.server ?? null, dport: port, ctstate: state, iifname: null } });
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
    const drop: Drop = { state, port, families: [NAME[family]], decidedBy: after.decidedBy, definite: !after.uncertain, worse: walkInput(ctx.base, packet).verdict === 'accept' };
    // The same verdict for IPv4 and IPv6 is one finding ("over IPv4 and IPv6"), not two.
    const same = drops.find((d) => d.state === state && d.port === port && d.decidedBy === drop.decidedBy && d.definite === drop.definite && d.worse === drop.worse);
    if (same) same.families.push(NAME[family]);
    else drops.push(drop);
  }
  return drops.map((d): FindingT => {
    const who = ctx.ssh ? `from ${ctx.ssh.client}` : `over ${d.families.join(' and ')}`;
    const what = d.state === 'new' ? `a new SSH login to port ${d.port} ${who}` : `the established SSH session on port ${d.port} ${who}`;
    return {
      code: d.state === 'new' ? 'SSH_NEW_LOGIN_BLOCKED' : 'SSH_SESSION_CUT',
      severity: d.worse && d.definite ? 'error' : 'warning',
      message: `After this change ${what} would ${d.definite ? '' : 'probably '}be dropped, decided by ${d.decidedBy}.${d.worse ? '' : ' (It is already dropped today.)'}`,
      fix: d.state === 'new'
        ? `Accept it before any drop, e.g. \`tcp dport ${d.port} accept\` (scoped to your admin addresses if you like) in the input chain.`
        : 'Accept established traffic first in every input chain: `ct state established,related accept`.',
      location: d.decidedBy,
    };
  });
};
