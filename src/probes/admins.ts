import { isIP } from 'node:net';
import { UserError } from '../errors.js';
import { words } from '../ruleset/scan.js';
import type { SshEndpoint } from '../plan/findings/context.js';
import { representative } from './spec.js';
import { dnatTargets } from './nat-targets.js';

/** Stand-ins that belong to nobody (TEST-NET-2, the IPv6 documentation prefix). */
export const STAND_IN = { v4: '198.51.100.77', v6: '2001:db8:77::77' };

/** Whose logins the probes check, and why those. */
export interface ProbeAdmins {
  /** session: SSH_CONNECTION's client; given: --admin-address; any: every candidate that can log in today. */
  mode: 'session' | 'given' | 'any';
  addresses: string[];
  /** IPv6 in use but no IPv6 admin address: IPv6 candidates probed as "any address that can log in today". */
  otherFamily?: string[];
}

/** --admin-address values: IPv4 or IPv6 addresses, nothing else (they become probe sources as root). */
export function checkAdminAddresses(values: string[] | string): string[] {
  // oclif hands the environment variable over as one string: split it like the flag's values.
  const out = [values]
    .flat()
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = out.find((a) => isIP(a) === 0);
  if (bad !== undefined) {
    throw new UserError(`--admin-address ${bad} is not an IPv4 or IPv6 address.`, {
      code: 'BAD_ADMIN_ADDRESS',
      actions: ['Give the address you log in from, e.g. --admin-address 192.0.2.10 (repeatable).'],
    });
  }
  return [...new Set(out)];
}

const unusable = (a: string): boolean =>
  /^(0\.|127\.|2(2[4-9]|[3-5]\d)\.)/.test(a) || a === '::' || a === '::1' || /^f[ef]/i.test(a);

/**
 * Candidate login sources when nobody said who logs in: the stand-ins and one address of every
 * address, prefix or range end the current ruleset names (an admin set's members among them). The
 * probes keep those that can log in today; a stand-in that is already blocked never decides anything.
 */
export function loginCandidates(rulesText: string, limit = 16): string[] {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  // NAT targets are backends, not login sources (other rules name them too: docker's hairpin MASQUERADE).
  const backends = new Set(dnatTargets(rulesText, 64).map((t) => t.addr));
  const baseText = rulesText.replace(/\b[ds]nat (?:ip6? )?to \S+|--to-(?:destination|source) \S+/g, '');
  // Whole words of the text (`::ffff:192.0.2.1` is one), a range's two ends apart.
  for (const word of words(baseText).flatMap((w) => w.split('-'))) {
    const [addr = '', len] = word.split('/');
    // An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) names an IPv4 client.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr)?.[1];
    if (isIP(addr) === 4 || (mapped && isIP(mapped) === 4)) {
      const a = representative(mapped ?? (len && /^\d{1,2}$/.test(len) ? `${addr}/${len}` : addr), '');
      if (!unusable(a) && !backends.has(a)) v4.add(a);
    } else if (isIP(addr) === 6 && !unusable(addr)) v6.add(addr.endsWith('::') ? `${addr}1` : addr);
  }
  return [STAND_IN.v4, STAND_IN.v6, ...[...v4, ...v6].slice(0, limit)];
}

/** Who the probes stand for (probeAdmins' mode), without reading the ruleset for candidates. */
export function adminMode(ssh: SshEndpoint | null, given: string[]): ProbeAdmins['mode'] {
  return ssh ? 'session' : given.length > 0 ? 'given' : 'any';
}

/** The session's client; else the addresses given; else every candidate that can log in today. */
export function probeAdmins(
  ssh: SshEndpoint | null,
  given: string[],
  baseText: string,
  ipv6InUse = false,
): ProbeAdmins {
  const v6 = (a: string): boolean => a.includes(':');
  const named = ssh ? [ssh.client] : given;
  const mode = adminMode(ssh, given);
  if (mode === 'any') return { mode, addresses: loginCandidates(baseText) };
  const admins: ProbeAdmins = { mode, addresses: named };
  // An IPv4 session does not make IPv6 moot where IPv6 is in use: its logins are probed too.
  if (ipv6InUse && !named.some(v6)) admins.otherFamily = loginCandidates(baseText).filter(v6);
  return admins;
}
