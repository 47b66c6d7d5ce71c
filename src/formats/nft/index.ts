import type { ProposalFormat, Recognition } from '../types.js';
import { refuseNonChanges } from '../../plan/proposal-commands.js';
import { refuseSilentNftValues } from '../../plan/nft-values.js';
import { planNft } from '../../plan/create-plan.js';
import { firstToken } from '../../ruleset/scan.js';

// A first statement nft accepts at the top of a script (after comments and blank lines).
const NFT_START =
  /^(#!.*\bnft\b|table|chain|set|map|flowtable|add|create|insert|replace|delete|destroy|flush|reset|rename|include|define|undefine|redefine|list|counter|quota|limit|ct|element|rule)\b/;

/** The first line that is not blank or a comment (a `#!` line counts), from its first token. */
function firstStatement(text: string): string | null {
  const first = firstToken(text, (t) => t.kind !== 'end' && (t.kind !== 'comment' || t.text.startsWith('#!')));
  return first ? text.slice(first.start).split('\n')[0]!.trim() : null;
}

/** nft scripts: table blocks or add/insert/delete commands, planned by src/plan/ (the format's internals). */
export const nftFormat: ProposalFormat = {
  id: 'nft',
  label: 'nft script',
  recognise(text: string): Recognition | null {
    const first = firstStatement(text);
    return first !== null && NFT_START.test(first)
      ? { format: 'nft', seen: `nft script (starts with "${first.split(/\s+/)[0]}")` }
      : null;
  },
  validate: (text, path) => {
    refuseNonChanges(text, path);
    refuseSilentNftValues(text, path);
  },
  plan: (options) => planNft(options),
};
