import { existsSync } from 'node:fs';
import { run } from '../../run/runner.js';
import { parseSave } from '../../backends/iptables-save.js';
import { foreignOwner, ownRule } from './owners.js';
import { program } from './programs.js';
import type { IpFamily, IptablesVariant } from './family.js';

/** The file this host boots its iptables rules from: netfilter-persistent's, else RHEL's iptables-services'. */
export function defaultIptablesPersistPath(family: IpFamily, exists: (p: string) => boolean = existsSync): string {
  if (!exists('/etc/iptables') && exists('/etc/sysconfig'))
    return family === 'v6' ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables';
  return family === 'v6' ? '/etc/iptables/rules.v6' : '/etc/iptables/rules.v4';
}

/**
 * The boot file's content: iptables-save of the variant and family, without counters and without the
 * chains other software owns (docker, kube-proxy, fail2ban recreate theirs when they start) or the
 * rules jumping into them. DOCKER-USER stays: its rules are the admin's.
 */
export async function renderIptablesPersist(
  netns: string | null,
  variant: IptablesVariant,
  family: IpFamily,
): Promise<string> {
  const saved = parseSave((await run(program('save', variant, family), [], { netns })).stdout);
  const out = [
    `# Written by fwsafe on confirmation at ${new Date().toISOString()} (iptables-${variant}, ${family === 'v6' ? 'IPv6' : 'IPv4'}).`,
  ];
  out.push('# Chains owned by docker, kube-proxy, fail2ban, … are left out: they recreate them when they start.');
  for (const t of saved) {
    const chains = t.chains.filter((c) => foreignOwner(c.name) === null);
    out.push(`*${t.name}`);
    for (const c of chains) out.push(`:${c.name} ${c.policy ?? '-'} [0:0]`);
    for (const c of chains) out.push(...c.rules.filter(ownRule));
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}
