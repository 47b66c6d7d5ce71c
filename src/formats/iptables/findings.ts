import type { SavedRuleset } from '../../backends/iptables-save.js';
import type { FindingT } from '../../plan/schema.js';
import { targetOf } from './parse.js';
import { foreignOwner } from './owners.js';
import type { ChainScope } from './transaction.js';
import type { IpFamily } from './family.js';

type Chain = SavedRuleset['chains'][number];
const chainOf = (s: SavedRuleset[], table: string, name: string): Chain | undefined =>
  s.find((t) => t.name === table)?.chains.find((c) => c.name === name);
const words = (rule: string): string[] => rule.split(/\s+/);
// A rule matching every packet: `-A CHAIN -j X` (a comment match does not narrow it).
const unconditional = (rule: string): boolean =>
  /^-A \S+( -m comment --comment ("[^"]*"|\S+))? -j (ACCEPT|DROP|REJECT)\b/.test(rule);

export interface IptablesFindingInput {
  before: SavedRuleset[];
  after: SavedRuleset[];
  /** The chains the change touched (changed ones). */
  scope: ChainScope;
  family: IpFamily;
  replaceTables: boolean;
  label: (table: string) => string;
  sshPorts: number[];
}

/** Jumps into other software's chains that a touched chain had and no longer has: docker's FORWARD → DOCKER-USER. */
function lostJumps(i: IptablesFindingInput): FindingT[] {
  const out: FindingT[] = [];
  for (const [table, chains] of Object.entries(i.scope)) {
    for (const name of chains) {
      const [b, a] = [chainOf(i.before, table, name), chainOf(i.after, table, name)];
      const targets = (c: Chain | undefined): Set<string> =>
        new Set((c?.rules ?? []).map((r) => targetOf(words(r))).filter((t): t is string => t !== null));
      const now = targets(a);
      for (const target of targets(b)) {
        const owner = target === 'DOCKER-USER' ? 'docker' : foreignOwner(target);
        if (!owner || now.has(target) || !chainOf(i.after, table, target)) continue;
        out.push({
          code: 'IPTABLES_FOREIGN_JUMP_LOST',
          severity: 'error',
          message: `${i.label(table)} ${name} loses its jump into ${target} (${owner}'s chain): the packets ${owner} handles there would no longer reach it.`,
          fix: `Keep the jump in the proposal (-A ${name} -j ${target}), or leave ${name} out of it so it stays as it is.`,
          location: `${i.label(table)} ${name}`,
        });
      }
    }
  }
  return out;
}

/** Chains other software owns that the change rewrites (chain scope) or deletes (--replace-tables). */
function foreignChains(i: IptablesFindingInput): FindingT[] {
  const out: FindingT[] = [];
  for (const [table, chains] of Object.entries(i.scope)) {
    for (const name of chains) {
      const owner = foreignOwner(name);
      if (!owner || !chainOf(i.before, table, name)) continue;
      const deleted = !chainOf(i.after, table, name);
      out.push({
        code: deleted ? 'IPTABLES_FOREIGN_CHAIN_DELETED' : 'IPTABLES_FOREIGN_CHAIN_CHANGED',
        severity: 'error',
        message: `${i.label(table)} ${name} belongs to ${owner}; the change ${deleted ? 'deletes it' : 'rewrites it'}${i.replaceTables ? ' (--replace-tables restores whole tables, wiping chains it does not declare)' : ''}. ${owner} would not know, and what it routes or filters there breaks.`,
        fix: i.replaceTables
          ? `Plan without --replace-tables: only the chains the file declares are replaced, ${name} stays as it is.`
          : `Leave ${name} out of the proposal${owner === 'docker' ? '; put your own rules in DOCKER-USER' : ''}.`,
        location: `${i.label(table)} ${name}`,
      });
    }
  }
  return out;
}

/** Input-chain habits that lock out or break things: no established, no loopback, no ICMPv6, rules after a catch-all. */
function inputHabits(i: IptablesFindingInput): FindingT[] {
  const out: FindingT[] = [];
  const input = chainOf(i.after, 'filter', 'INPUT');
  const touched = i.scope.filter ?? [];
  if (!input || !touched.includes('INPUT')) return out;
  const at = `${i.label('filter')} INPUT`;
  const drops = input.policy === 'DROP' || input.rules.some((r) => unconditional(r) && /-j (DROP|REJECT)/.test(r));
  if (drops && !input.rules.some((r) => /--ctstate \S*ESTABLISHED|--state \S*ESTABLISHED/.test(r))) {
    out.push({
      code: 'DROP_WITHOUT_ESTABLISHED',
      severity: 'warning',
      message: `${at} drops by default but accepts no ESTABLISHED traffic: replies to the host's own connections and existing sessions would be dropped.`,
      fix: 'Add `-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` as the first rule.',
      location: at,
    });
  }
  if (drops && !input.rules.some((r) => /-i lo\b.*-j ACCEPT/.test(r))) {
    out.push({
      code: 'DROP_WITHOUT_LOOPBACK',
      severity: 'warning',
      message: `${at} drops by default and accepts nothing on lo: local clients of local services would be dropped.`,
      fix: 'Add `-A INPUT -i lo -j ACCEPT` near the top.',
      location: at,
    });
  }
  if (
    drops &&
    i.family === 'v6' &&
    !input.rules.some((r) => /ipv6-icmp|icmpv6|--ctstate \S*RELATED/.test(r) && /-j ACCEPT/.test(r))
  ) {
    out.push({
      code: 'ICMPV6_BLOCKED',
      severity: 'warning',
      message: `${at} drops ICMPv6: without neighbour discovery IPv6 stops working, without packet-too-big large transfers hang.`,
      fix: 'Add `-A INPUT -p ipv6-icmp -j ACCEPT` before any drop.',
      location: at,
    });
  }
  for (const [table, chains] of Object.entries(i.scope)) {
    for (const name of chains) {
      const c = chainOf(i.after, table, name);
      const k = c?.rules.findIndex(unconditional) ?? -1;
      if (c && k >= 0 && k < c.rules.length - 1) {
        out.push({
          code: 'RULE_AFTER_CATCHALL',
          severity: 'warning',
          message: `${i.label(table)} ${name}: ${c.rules.length - k - 1} rule(s) after "${c.rules[k]}" can never match.`,
          fix: 'Move them above the catch-all rule.',
          location: `${i.label(table)} ${name}`,
        });
      }
    }
  }
  return out;
}

/** The iptables findings of a change (the probes add what real packets show). */
export function iptablesFindings(i: IptablesFindingInput): FindingT[] {
  return [...foreignChains(i), ...lostJumps(i), ...inputHabits(i)];
}
