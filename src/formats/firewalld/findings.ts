import { isIP } from 'node:net';
import type { FindingT } from '../../plan/schema.js';
import type { SshEndpoint } from '../../plan/findings/context.js';
import type { FirewalldStateT, StateDiff } from './state.js';

/** The bits of an IPv4/IPv6 address as a bigint, with its width; null when not an address. */
function bits(address: string): { value: bigint; width: number } | null {
  const kind = isIP(address);
  if (kind === 4) return { value: address.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n), width: 32 };
  if (kind !== 6) return null;
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parts = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { value: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g || '0', 16)), 0n), width: 128 };
}

/** Does `address` fall in `source` (an address or CIDR network of a zone's sources)? MACs and ipsets: no. */
export function inSource(address: string, source: string): boolean {
  const [net, len] = source.split('/') as [string, string | undefined];
  const a = bits(address);
  const n = bits(net);
  if (!a || !n || a.width !== n.width) return false;
  const prefix = len === undefined ? n.width : Number(len);
  const shift = BigInt(n.width - prefix);
  return a.value >> shift === n.value >> shift;
}

/** The zone firewalld puts the admin's connection in: by source address, then interface, then the default zone. */
export function zoneOf(
  state: FirewalldStateT,
  client: string | null,
  ifname: string | null,
): { zone: string; why: string } {
  if (client) {
    for (const [name, items] of Object.entries(state.zones)) {
      const hit = (items.source ?? []).find((s) => inSource(client, s));
      if (hit) return { zone: name, why: `your address ${client} is in its source ${hit}` };
    }
  }
  if (ifname) {
    for (const [name, items] of Object.entries(state.zones))
      if ((items.interface ?? []).includes(ifname)) return { zone: name, why: `interface ${ifname} is bound to it` };
  }
  return { zone: state.defaultZone, why: 'it is the default zone' };
}

const allowsSsh = (state: FirewalldStateT, zone: string, ports: number[]): boolean => {
  const items = state.zones[zone] ?? {};
  const target = items.target ?? [];
  if (target.includes('ACCEPT')) return true;
  if ((items.service ?? []).includes('ssh')) return true;
  return (items.port ?? []).some((p) => {
    const [range, proto] = p.split('/') as [string, string];
    const [lo, hi] = range.split('-').map(Number) as [number, number | undefined];
    return proto === 'tcp' && ports.some((port) => port >= lo && port <= (hi ?? lo));
  });
};

export interface ZoneFindingInput {
  before: FirewalldStateT;
  after: FirewalldStateT;
  diff: StateDiff;
  ssh: SshEndpoint | null;
  ifname: string | null;
  sshPorts: number[];
  /** Operations that changed nothing (firewalld's ALREADY_ENABLED / NOT_ENABLED), with firewalld's words. */
  noOps: { line: number; text: string; why: string }[];
}

/** Zone-level findings: SSH taken from the zone the admin is in, default zone moves, exposure by masquerade/forwards. */
export function zoneFindings(o: ZoneFindingInput): FindingT[] {
  const out: FindingT[] = [];
  const ports = [...new Set([...(o.ssh ? [o.ssh.serverPort] : []), ...o.sshPorts])];
  const zonesInUse = (s: FirewalldStateT): string[] =>
    o.ssh
      ? [zoneOf(s, o.ssh.client, o.ifname).zone]
      : [
          ...new Set([
            s.defaultZone,
            ...Object.entries(s.zones)
              .filter(([, i]) => (i.interface ?? []).length + (i.source ?? []).length > 0)
              .map(([n]) => n),
          ]),
        ];
  const before = zoneOf(o.before, o.ssh?.client ?? null, o.ifname);
  const after = zoneOf(o.after, o.ssh?.client ?? null, o.ifname);
  for (const zone of zonesInUse(o.after)) {
    const wasAllowed = allowsSsh(o.before, o.ssh ? before.zone : zone, ports);
    if (wasAllowed && !allowsSsh(o.after, zone, ports)) {
      const who = o.ssh
        ? `your SSH connection (${o.ssh.client} → port ${o.ssh.serverPort}) falls in zone ${zone} (${after.why})`
        : `zone ${zone} is in use (default zone, or interfaces/sources bound to it) and no SSH_CONNECTION tells which zone you are in`;
      out.push({
        code: 'FIREWALLD_SSH_REMOVED',
        severity: 'error',
        message: `After the change zone ${zone} no longer allows ssh (port ${ports.join(', ')}/tcp): ${who}. New SSH logins would be refused.`,
        fix: `Keep ssh in zone ${zone} (drop the --remove-service=ssh line), or first allow your address in another zone: --zone=trusted --add-source=YOUR_ADDRESS.`,
        location: `zone ${zone}`,
      });
    }
  }
  if (o.diff.defaultZone) {
    out.push({
      code: 'FIREWALLD_DEFAULT_ZONE_CHANGED',
      severity: 'warning',
      message: `The default zone changes from ${o.diff.defaultZone.from} to ${o.diff.defaultZone.to}: every interface bound to no zone moves with it. firewall-cmd writes the default zone to firewalld.conf at once; fwsafe sets it back on rollback.`,
      fix: 'Check the services of the new default zone; bind interfaces explicitly if only some should move.',
      location: 'default zone',
    });
  }
  for (const c of o.diff.changes) {
    const where = `${c.kind} ${c.container}`;
    if (c.item === 'masquerade' && c.added.length)
      out.push({
        code: 'FIREWALLD_MASQUERADE',
        severity: 'warning',
        message: `Masquerading is turned on in ${where}: hosts behind it reach out with this host's address, and IPv4 forwarding is enabled for it.`,
        fix: 'Make sure forwarding through this host is intended; restrict it with a policy.',
        location: where,
      });
    if (c.item === 'forward-port' && c.added.length)
      out.push({
        code: 'FIREWALLD_FORWARD_PORT',
        severity: 'warning',
        message: `${where} forwards ${c.added.join(', ')}: a service behind this host becomes reachable from that zone.`,
        fix: 'Check the destination is meant to be exposed; limit the sources with a rich rule instead if not.',
        location: where,
      });
    if (c.item === 'forward' && c.added.length)
      out.push({
        code: 'FIREWALLD_INTRA_ZONE_FORWARD',
        severity: 'warning',
        message: `${where} now forwards traffic between its interfaces and sources.`,
        fix: 'Intended only for routers; remove --add-forward otherwise.',
        location: where,
      });
    if ((c.item === 'ingress-zone' || c.item === 'egress-zone') && c.added.includes('ANY'))
      out.push({
        code: 'FIREWALLD_POLICY_ANY',
        severity: 'warning',
        message: `${where} now applies to ${c.item === 'ingress-zone' ? 'traffic from' : 'traffic to'} ANY zone.`,
        fix: 'Name the zones the policy is for.',
        location: where,
      });
  }
  if (o.diff.unmatched.length)
    out.push({
      code: 'FIREWALLD_NOT_REPRODUCED',
      severity: 'warning',
      message: `Zones or policies differ between the live firewalld and its scratch copy: ${o.diff.unmatched.join(', ')}.`,
      fix: 'Reload firewalld after editing its permanent configuration, then plan again.',
      location: null,
    });
  for (const n of o.noOps)
    out.push({
      code: 'FIREWALLD_NO_EFFECT',
      severity: 'info',
      message: `Line ${n.line} (${n.text}) changes nothing at runtime: ${n.why}. It is still made permanent on confirm.`,
      fix: 'Nothing to do, or remove the line.',
      location: `line ${n.line}`,
    });
  return out;
}
