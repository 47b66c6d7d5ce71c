import type { ProposalFormat, Recognition } from '../types.js';
import { looksLikeFirewalld, parseFirewalldProposal } from './operations.js';

/**
 * firewalld proposals (docs/firewalld.md): firewall-cmd operations, one per line, without `firewall-cmd`
 * and `--permanent`. Planned by a scratch firewalld; applied at runtime, made permanent on confirm.
 */
export const firewalldFormat: ProposalFormat = {
  id: 'firewalld',
  label: 'firewalld operations',
  extensions: ['.firewalld'],
  recognise(text: string): Recognition | null {
    return looksLikeFirewalld(text)
      ? { format: 'firewalld', seen: 'firewall-cmd operations (every line starts with --)' }
      : null;
  },
  validate: (text, path) => void parseFirewalldProposal(text, path),
  plan: async (options) => (await import('./plan.js')).planFirewalld(options),
};

export { parseFirewalldProposal };
