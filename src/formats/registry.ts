import type { ProposalFormat, Recognition } from './types.js';
import { nftFormat } from './nft/index.js';
import { iptablesFormat } from './iptables/index.js';

/**
 * Every proposal format, most specific first. nft comes last and is also the fallback: text no format
 * recognises is planned as nft, whose parser then names the line it cannot read (as before formats).
 */
export const FORMATS: readonly ProposalFormat[] = [iptablesFormat, nftFormat];

/** The format of a proposal, from its content; the fallback (nft) says it did not recognise the text. */
export function recogniseProposal(text: string): { format: ProposalFormat; recognition: Recognition } {
  for (const format of FORMATS) {
    const recognition = format.recognise(text);
    if (recognition) return { format, recognition };
  }
  return { format: nftFormat, recognition: { format: 'nft', seen: 'text no format recognised (read as an nft script)' } };
}
