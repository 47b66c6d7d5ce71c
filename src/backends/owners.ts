import type { TableModel } from '../ruleset/model.js';
import { isIptablesNftTable } from './iptables-nft-tables.js';

export type Owner = 'docker' | 'kube-proxy' | 'firewalld' | 'fail2ban' | 'libvirt' | 'tailscale' | 'crowdsec' | 'iptables-nft';

// Marks that other software leaves on the tables and chains it owns.
const TABLE_OWNERS: [RegExp, Owner][] = [
  [/^docker/i, 'docker'],
  [/^kube-proxy$/, 'kube-proxy'],
  [/^firewalld$/, 'firewalld'],
  [/^f2b-/, 'fail2ban'],
  [/^fail2ban/, 'fail2ban'],
  [/^libvirt/, 'libvirt'],
  [/^ts-/, 'tailscale'],
  [/^tailscale/, 'tailscale'],
  [/^crowdsec6?$/, 'crowdsec'],
];
const CHAIN_OWNERS: [RegExp, Owner][] = [
  [/^DOCKER/, 'docker'],
  [/^KUBE-/, 'kube-proxy'],
  [/^f2b-/, 'fail2ban'],
  [/^LIBVIRT_/, 'libvirt'],
  [/^ts-/, 'tailscale'],
  [/^crowdsec/, 'crowdsec'],
];

/** The software that owns a chain, by its name; null when no known mark. */
export function chainOwner(chain: string): Owner | null {
  return CHAIN_OWNERS.find(([re]) => re.test(chain))?.[1] ?? null;
}

/** The software that owns a table: by its name, else iptables-nft when it is one of its tables. */
export function tableOwner(table: TableModel): Owner | null {
  const byName = TABLE_OWNERS.find(([re]) => re.test(table.name))?.[1];
  if (byName) return byName;
  return isIptablesNftTable(table) ? 'iptables-nft' : null;
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
