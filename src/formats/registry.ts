import type { ProposalFormat, Recognition } from './types.js';
import { nftFormat } from './nft/index.js';
import { firewalldFormat } from './firewalld/index.js';
import { iptablesFormat } from './iptables/index.js';

/**
 * Every proposal format, most specific first. nft comes last and is also the fallback: text no format
 * recognises is planned as nft, whose parser then names the line it cannot read (as before formats).
 */
export const FORMATS: readonly ProposalFormat[] = [firewalldFormat, iptablesFormat, nftFormat];

/** The format of a proposal, from its content; the fallback (nft) says it did not recognise the text. */
export function recogniseProposal(text: string, path?: string): { format: ProposalFormat; recognition: Recognition } {
  // A file named for a format is that format, whatever it holds: its validation then says what is wrong.
  const byName = path === undefined ? undefined : FORMATS.find((f) => f.extensions?.some((e) => path.endsWith(e)));
  if (byName)
    return {
      format: byName,
      recognition: {
        format: byName.id,
        seen: `a ${byName.label} file (named *${byName.extensions!.find((e) => path!.endsWith(e))})`,
      },
    };
  for (const format of FORMATS) {
    const recognition = format.recognise(text);
    if (recognition) return { format, recognition };
  }
  return {
    format: nftFormat,
    recognition: { format: 'nft', seen: 'text no format recognised (read as an nft script)' },
  };
}
