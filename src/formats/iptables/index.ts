import type { ProposalFormat, Recognition } from '../types.js';
import { UserError } from '../../errors.js';
import { parseRestore } from './parse.js';
import { familyFromName } from './family.js';
import { planIptables } from './plan.js';

/** The first line that is not blank or a comment. */
function firstStatement(text: string): { line: string; n: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line !== '' && !line.startsWith('#')) return { line, n: i + 1 };
  }
  return null;
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
    if (/^\*[A-Za-z]\w*\s*$/.test(first.line)) return { format: 'iptables', seen: `iptables-restore input (starts with "${first.line}")` };
    if (SHELL_COMMAND.test(first.line)) return { format: 'iptables', seen: `iptables shell commands (starts with "${first.line.split(/\s+/).slice(0, 3).join(' ')} …")` };
    return null;
  },
  validate(text: string, path: string): void {
    const first = firstStatement(text);
    if (first && SHELL_COMMAND.test(first.line)) {
      const v6 = /^(sudo\s+)?ip6tables/.test(first.line) || familyFromName(path) === 'v6';
      throw new UserError(`${path}:${first.n}: this is a list of ${v6 ? 'ip6tables' : 'iptables'} shell commands; fwsafe plans iptables-restore input (what ${v6 ? 'ip6tables' : 'iptables'}-save prints), so the change is one transaction.`, {
        code: 'IPTABLES_SHELL_COMMANDS',
        actions: ['Write it as iptables-restore input: a line *filter, the chains you replace (:INPUT DROP [0:0]), their rules (-A INPUT …) without the "iptables" word, then COMMIT.'],
      });
    }
    parseRestore(text, path);
  },
  plan: (options) => planIptables(options),
};
