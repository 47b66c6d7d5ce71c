import { walkInput, type Packet } from './packet-walk.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

/** Would a NEW SSH login, and the admin's ESTABLISHED session, still be accepted after the change? */
export const sshLockout: Analyser = (ctx) => {
  const out: FindingT[] = [];
  const ports = [...new Set([...(ctx.ssh ? [ctx.ssh.serverPort] : []), ...ctx.sshPorts])].sort((a, b) => a - b);
  const families: Packet['family'][] = ctx.ssh ? [ctx.ssh.client.includes(':') ? 'ipv6' : 'ipv4'] : ['ipv4', 'ipv6'];
  for (const family of families) {
    for (const port of ports) {
      const packet = (ctstate: Packet['ctstate']): Packet => ({
        family,
        proto: 'tcp',
        saddr: ctx.ssh?.client ?? null,
        daddr: ctx.ssh?.server ?? null,
        dport: port,
        ctstate,
        iifname: null,
      });
      const who = ctx.ssh ? `from ${ctx.ssh.client}` : `over ${family === 'ipv4' ? 'IPv4' : 'IPv6'}`;
      for (const state of ['new', 'established'] as const) {
        const before = walkInput(ctx.base, packet(state));
        const after = walkInput(ctx.result, packet(state));
        if (after.verdict !== 'drop') continue;
        const what = state === 'new' ? `a new SSH login to port ${port} ${who}` : `the established SSH session on port ${port} ${who}`;
        const worse = before.verdict === 'accept';
        const definite = !after.uncertain;
        out.push({
          code: state === 'new' ? 'SSH_NEW_LOGIN_BLOCKED' : 'SSH_SESSION_CUT',
          severity: worse && definite ? 'error' : 'warning',
          message: `After this change ${what} would ${definite ? '' : 'probably '}be dropped, decided by ${after.decidedBy}.${worse ? '' : ' (It is already dropped today.)'}`,
          fix: state === 'new'
            ? `Accept it before any drop, e.g. \`tcp dport ${port} accept\` (scoped to your admin addresses if you like) in the input chain.`
            : 'Accept established traffic first in every input chain: `ct state established,related accept`.',
          location: after.decidedBy,
        });
      }
    }
  }
  return out;
};
