import { run } from '../run/runner.js';
import { isV6 } from './net-spec.js';

/** The router's own addresses (on its loopback): the source of the PMTU errors it sends. */
export const ROUTER = { v4: '192.0.2.254', v6: '2001:db8:ffff::fe' };
/** Link-local next hops on every host ↔ router link (host side ::1, router side ::2). */
const LL = { host: 'fe80::1', router: 'fe80::2' };
/** The MTU of the router's links towards the peers: smaller than the host's, so it sends PMTU errors. */
export const SMALL_MTU = 1280;

export interface Topology {
  host: string;
  router: string;
  far: string;
  back: string;
  /** Host interface names (as on the live host), in order; router side `fws<index>`. */
  ifaces: string[];
}

export interface TopologyInput {
  tag: string;
  /** The host's addresses the flows use, on the interface that holds them on the live host. */
  hostAddrs: { addr: string; iface: string }[];
  /** The other ends: behind the host's interface that routes to them; `back` for forwarded flows' servers. */
  peers: { addr: string; iface: string; via: string | null; side: 'far' | 'back' }[];
  forwarding: { ipv4: boolean; ipv6: boolean };
}

const plen = (a: string): string => (isV6(a) ? `${a}/128` : `${a}/32`);

/**
 * Builds the scratch network for the replay: a host namespace with the live interface names and
 * addresses, a router namespace on the other end of each host interface, and behind the router a "far"
 * namespace holding the peers (links of MTU 1280, so full-size packets draw real PMTU errors) and a
 * "back" namespace for the servers of forwarded flows. The router sends what comes from a peer back over
 * the host interface that peer is reached by on the live host (source routing), so every packet enters
 * and leaves the host copy where it would live.
 */
export async function buildTopology(t: TopologyInput): Promise<Topology> {
  const ifaces = [...new Set([...t.hostAddrs.map((a) => a.iface), ...t.peers.map((p) => p.iface)])];
  const topo: Topology = {
    host: `fwsafe-probe-${t.tag}-nh`,
    router: `fwsafe-probe-${t.tag}-nr`,
    far: `fwsafe-probe-${t.tag}-nf`,
    back: `fwsafe-probe-${t.tag}-nb`,
    ifaces,
  };
  try {
    await populate(t, topo);
  } catch (error) {
    await removeTopology(topo);
    throw error;
  }
  return topo;
}

async function populate(t: TopologyInput, topo: Topology): Promise<void> {
  const { ifaces } = topo;
  // One `ip -batch` per namespace and step: a hundred single `ip` commands cost seconds on a loaded host.
  // `ip rule` does not infer the family from its address: IPv6 rules go in a batch of their own (`ip -6`).
  const batch = async (ns: string, cmds: string[]): Promise<void> => {
    const v6 = cmds.filter((c) => c.startsWith('rule ') && c.includes(':'));
    const v4 = cmds.filter((c) => !v6.includes(c));
    if (v4.length) await run('ip', ['-n', ns, '-batch', '-'], { input: `${v4.join('\n')}\n` });
    if (v6.length) await run('ip', ['-6', '-n', ns, '-batch', '-'], { input: `${v6.join('\n')}\n` });
  };
  const sysctl = (ns: string, ...kv: string[]) => run('sysctl', ['-q', '-w', ...kv], { netns: ns });
  const all = [topo.host, topo.router, topo.far, topo.back];
  await Promise.all(all.map((ns) => run('ip', ['netns', 'add', ns])));
  // No duplicate address detection: addresses and link-locals usable at once, as on a running host.
  await Promise.all(
    all.map((ns) =>
      sysctl(
        ns,
        'net.ipv6.conf.default.accept_dad=0',
        'net.ipv6.conf.all.accept_dad=0',
        // No router solicitations: one would teach the router the host's link-layer address behind the ND replay's back.
        'net.ipv6.conf.default.router_solicitations=0',
        'net.ipv6.conf.all.router_solicitations=0',
        ...(ns === topo.router
          ? ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']
          : ns === topo.host
            ? [
                `net.ipv4.ip_forward=${t.forwarding.ipv4 ? 1 : 0}`,
                `net.ipv6.conf.all.forwarding=${t.forwarding.ipv6 ? 1 : 0}`,
              ]
            : []),
      ),
    ),
  );
  const hostV4 = t.hostAddrs.find((a) => !isV6(a.addr))?.addr ?? null;
  const host: string[] = ['link set lo up'];
  const router: string[] = [
    'link set lo up',
    `addr add ${plen(ROUTER.v4)} dev lo`,
    `addr add ${plen(ROUTER.v6)} dev lo`,
  ];
  const ends: Record<'far' | 'back', string[]> = { far: ['link set lo up'], back: ['link set lo up'] };
  // The router answers as the live gateway of each interface (IPv4): its errors come from that address.
  const gateway = (iface: string): string =>
    t.peers.find((p) => p.iface === iface && p.via !== null && !isV6(p.via))?.via ?? ROUTER.v4;
  for (const [i, name] of ifaces.entries()) {
    const side = `fws${i}`;
    if (gateway(name) !== ROUTER.v4) router.push(`addr add ${plen(gateway(name))} dev ${side}`);
    host.push(
      `link add ${name} type veth peer name ${side} netns ${topo.router}`,
      `link set ${name} up`,
      `addr add ${LL.host}/64 dev ${name}`,
    );
    router.push(`link set ${side} up`, `addr add ${LL.router}/64 dev ${side}`);
    // What comes from a peer of this interface goes back to the host over it.
    if (hostV4) router.push(`route add 0.0.0.0/0 via ${hostV4} dev ${side} onlink table ${100 + i}`);
    router.push(`route add ::/0 via ${LL.host} dev ${side} table ${100 + i}`);
  }
  for (const a of t.hostAddrs) {
    host.push(`addr add ${plen(a.addr)} dev ${a.iface}${isV6(a.addr) ? ' nodad' : ''}`);
    router.push(`route add ${plen(a.addr)} dev fws${ifaces.indexOf(a.iface)}`);
  }
  for (const [end, ns, dev, side] of [
    ['far', topo.far, 'f0', 'fwsf'],
    ['back', topo.back, 'b0', 'fwsb'],
  ] as const) {
    router.push(
      `link add ${side} mtu ${SMALL_MTU} type veth peer name ${dev} netns ${ns}`,
      `link set ${side} up`,
      `addr add ${LL.router}/64 dev ${side}`,
    );
    ends[end].push(
      `link set ${dev} up`,
      `route add 0.0.0.0/0 via ${ROUTER.v4} dev ${dev} onlink`,
      `route add ::/0 via ${LL.router} dev ${dev}`,
    );
  }
  const hostRoutes: string[] = [];
  for (const p of t.peers) {
    const [dev, side] = p.side === 'far' ? ['f0', 'fwsf'] : ['b0', 'fwsb'];
    ends[p.side].push(`addr add ${plen(p.addr)} dev ${dev}${isV6(p.addr) ? ' nodad' : ''}`);
    router.push(
      `route add ${plen(p.addr)} dev ${side}`,
      `rule add from ${p.addr} iif ${side} lookup ${100 + ifaces.indexOf(p.iface)}`,
    );
    hostRoutes.push(
      `route add ${plen(p.addr)} via ${isV6(p.addr) ? LL.router : gateway(p.iface)} dev ${p.iface}${isV6(p.addr) ? '' : ' onlink'}`,
    );
  }
  await batch(topo.host, host);
  // The router's links to the far and back ends are created in its own batch, before those ends configure them.
  const [links, rest] = [
    router.filter((c) => /^link (add|set)/.test(c)),
    router.filter((c) => !/^link (add|set)/.test(c)),
  ];
  await batch(topo.router, links);
  await Promise.all([batch(topo.router, rest), batch(topo.far, ends.far), batch(topo.back, ends.back)]);
  await batch(topo.host, hostRoutes);
}

/** Deletes the scratch network (every namespace; processes in them are the caller's to end). */
export async function removeTopology(topo: Topology): Promise<void> {
  for (const ns of [topo.host, topo.router, topo.far, topo.back])
    await run('ip', ['netns', 'del', ns], { allowFailure: true });
}
