import type { ProposalFormat, Recognition } from '../types.js';
import { UserError } from '../../errors.js';
import { parseRestore, type RestoreTable } from './parse.js';
import { foreignOwner } from './owners.js';
import { familyFromName } from './family.js';
import { planIptables } from './plan.js';
import { splitPair } from './pair.js';

/** The first line that is not blank or a comment. */
function firstStatement(text: string): { line: string; n: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line !== '' && !line.startsWith('#')) return { line, n: i + 1 };
  }
  return null;
}

/**
 * A proposal replaces its own chains; it never flushes or deletes other software's chains (docker,
 * kube-proxy, fail2ban would not know), nor every chain at once (`-F` / `-X` without a chain).
 */
function refuseForeignCommands(tables: RestoreTable[], path: string): void {
  for (const t of tables) {
    for (const c of t.commands) {
      if (!['F', 'X', 'Z', 'E'].includes(c.op)) continue;
      const what = { F: 'flushes', X: 'deletes', Z: 'zeroes the counters of', E: 'renames' }[c.op];
      if (c.chain === null && c.op !== 'Z') {
        throw new UserError(
          `${path}:${c.line}: "${c.text}" ${what} every chain of *${t.name}, including chains other software owns (docker, kube-proxy, fail2ban).`,
          {
            code: 'IPTABLES_ALL_CHAINS',
            actions: [
              'Declare the chains you replace (:CHAIN POLICY [0:0]) and their rules; fwsafe empties exactly those. For a full-table restore use --replace-tables.',
            ],
          },
        );
      }
      const owner = c.chain === null ? null : foreignOwner(c.chain);
      if (owner) {
        throw new UserError(
          `${path}:${c.line}: "${c.text}" ${what} ${c.chain}, a chain ${owner} owns; ${owner} would not know, and what it handles there breaks.`,
          {
            code: 'IPTABLES_FOREIGN_CHAIN',
            actions: [
              owner === 'docker' ? 'Put your own rules in DOCKER-USER instead.' : `Leave ${c.chain} to ${owner}.`,
            ],
          },
        );
      }
    }
  }
}

const SHELL_COMMAND = /^(sudo\s+)?(ip6?tables(-nft|-legacy)?)\s+(-t\s+\S+\s+)?(-[AIDRNFXPZ]|--append|--insert)\b/;

/**
 * iptables-restore input (`*filter` … `COMMIT`, what iptables-save prints and rules.v4/v6 hold). Also
 * recognised, to be refused with the way out: a list of `iptables -A …` shell commands.
 */
export const iptablesFormat: ProposalFormat = {
  id: 'iptables',
  label: 'iptables-restore input',
  recognise(text: string): Recognition | null {
    const first = firstStatement(text);
    if (!first) return null;
    if (/^\*[A-Za-z]\w*\s*$/.test(first.line))
      return { format: 'iptables', seen: `iptables-restore input (starts with "${first.line}")` };
    // Rule or chain lines first, with a table header or COMMIT later: restore input with its header misplaced.
    if (
      /^(\[\d+:\d+\]\s+)?(-[AIDRNFXPZ]\s|:\S+\s)/.test(first.line) &&
      /^(\*(filter|nat|mangle|raw|security)|COMMIT)\s*$/m.test(text)
    ) {
      return { format: 'iptables', seen: 'iptables-restore input (rules before the first *table line)' };
    }
    if (SHELL_COMMAND.test(first.line))
      return {
        format: 'iptables',
        seen: `iptables shell commands (starts with "${first.line.split(/\s+/).slice(0, 3).join(' ')} …")`,
      };
    return null;
  },
  validate(text: string, path: string): void {
    const first = firstStatement(text);
    if (first && SHELL_COMMAND.test(first.line)) {
      const v6 = /^(sudo\s+)?ip6tables/.test(first.line) || familyFromName(path) === 'v6';
      throw new UserError(
        `${path}:${first.n}: this is a list of ${v6 ? 'ip6tables' : 'iptables'} shell commands; fwsafe plans iptables-restore input (what ${v6 ? 'ip6tables' : 'iptables'}-save prints), so the change is one transaction.`,
        {
          code: 'IPTABLES_SHELL_COMMANDS',
          actions: [
            'Write it as iptables-restore input: a line *filter, the chains you replace (:INPUT DROP [0:0]), their rules (-A INPUT …) without the "iptables" word, then COMMIT.',
          ],
        },
      );
    }
    // A v4 + v6 pair is checked file by file, each named as the user wrote it.
    for (const part of splitPair(text) ?? [{ text, path, family: familyFromName(path) }])
      refuseForeignCommands(parseRestore(part.text, part.path, part.family), part.path);
  },
  plan: (options) => planIptables(options),
};
