import type { TableModel } from '../ruleset/model.js';
import { isIptablesNftTable } from './iptables-nft-tables.js';

/** Software known to own tables or chains; detect reports anything else as "unknown". */
export const OWNERS = [
  'docker',
  'kube-proxy',
  'firewalld',
  'fail2ban',
  'libvirt',
  'tailscale',
  'crowdsec',
  'calico',
  'cilium',
  'ufw',
  'podman',
  'lxd',
  'incus',
  'iptables-nft-managed',
] as const;
export type Owner = (typeof OWNERS)[number];

// Tables that other software creates under its own name (nft mode of each tool).
const TABLE_OWNERS: [RegExp, Owner][] = [
  [/^docker/i, 'docker'], // docker's nftables backend: `table ip docker-bridges`
  [/^kube-proxy$/, 'kube-proxy'], // kube-proxy --proxy-mode=nftables: `table ip kube-proxy`, `table ip6 kube-proxy`
  [/^firewalld$/, 'firewalld'], // `inet firewalld` (ip/ip6 firewalld before 0.9)
  [/^f2b-/, 'fail2ban'], // fail2ban's nftables action: `inet f2b-table`
  [/^fail2ban/, 'fail2ban'],
  [/^libvirt/, 'libvirt'], // `ip libvirt_network`
  [/^ts-/, 'tailscale'],
  [/^tailscale/, 'tailscale'],
  [/^crowdsec6?$/, 'crowdsec'], // crowdsec-firewall-bouncer: `ip crowdsec`, `ip6 crowdsec6`
  [/^cilium/, 'cilium'],
  [/^calico/, 'calico'], // calico's nftables data plane: `table ip calico`, `ip6 calico`
  [/^netavark$/, 'podman'], // podman's netavark with its nftables driver: `table inet netavark`
  [/^lxd$/, 'lxd'], // `table inet lxd`
  [/^incus$/, 'incus'], // `table inet incus`
];

// Chains other software adds, often inside iptables-nft's or iptables-legacy's own tables.
const CHAIN_OWNERS: [RegExp, Owner][] = [
  [/^DOCKER($|-)/, 'docker'], // DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2, DOCKER-FORWARD, DOCKER-INGRESS
  [/^KUBE-/, 'kube-proxy'], // also kubelet's KUBE-FIREWALL / KUBE-KUBELET-CANARY
  [/^f2b-/, 'fail2ban'], // f2b-sshd (iptables actions), f2b-chain (nftables action)
  [/^LIBVIRT_/, 'libvirt'],
  [/^ts-/, 'tailscale'], // ts-input, ts-forward, ts-postrouting
  [/^crowdsec6?-/, 'crowdsec'],
  [/^CROWDSEC/, 'crowdsec'],
  [/^cali-/, 'calico'],
  [/^CILIUM_/, 'cilium'],
  [/^ufw6?-/, 'ufw'],
  [/^NETAVARK[-_]/, 'podman'], // netavark's iptables driver: NETAVARK_FORWARD, NETAVARK-1D8721804F16F
  // firewalld's iptables backend: INPUT_direct, IN_public_allow, FWDI_public, ...
  [/_direct$/, 'firewalld'],
  [/^(IN|FWDI|FWDO|FWD|PRE|POST)_[a-z][\w-]*$/, 'firewalld'],
];

/** The software that owns a chain, by its name; null when no known mark. */
export function chainOwner(chain: string): Owner | null {
  return CHAIN_OWNERS.find(([re]) => re.test(chain))?.[1] ?? null;
}

/** The software that owns a nft table: by its name, else iptables-nft when it is one of its tables; null when unknown. */
export function tableOwner(table: TableModel): Owner | null {
  const byName = TABLE_OWNERS.find(([re]) => re.test(table.name))?.[1];
  if (byName) return byName;
  return isIptablesNftTable(table) ? 'iptables-nft-managed' : null;
}

/** Owner of a table known only by its name (legacy tables, tables of a text listing). */
export function tableOwnerByName(name: string): Owner | null {
  return TABLE_OWNERS.find(([re]) => re.test(name))?.[1] ?? null;
}

/** Owners of chains inside a table (e.g. docker's DOCKER chains inside iptables-nft's `ip filter`). */
export function chainOwners(table: TableModel): Map<string, Owner> {
  const out = new Map<string, Owner>();
  for (const chain of table.chains) {
    const owner = chainOwner(chain.name);
    if (owner) out.set(chain.name, owner);
  }
  return out;
}
