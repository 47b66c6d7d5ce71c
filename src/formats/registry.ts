import type { ProposalFormat, Recognition } from './types.js';
import { nftFormat } from './nft/index.js';
import { firewalldFormat } from './firewalld/index.js';
import { iptablesFormat } from './iptables/index.js';
import { combinePair } from './iptables/pair.js';
import { readProposal } from '../plan/proposal-file.js';
import { UserError } from '../errors.js';

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

/**
 * `plan A B` / `apply A B`: the proposal text and label of two files forming one change. Only an IPv4
 * and an IPv6 iptables-restore file can (rules.v4 + rules.v6); anything else is refused, naming why.
 */
export function readProposalPair(paths: [string, string]): { text: string; label: string } {
  const files = paths.map((path) => ({ path, text: readProposal(path) }));
  for (const f of files) {
    const { recognition } = recogniseProposal(f.text, f.path);
    if (recognition.format !== 'iptables')
      throw new UserError(
        `${f.path} is ${recognition.seen}; two files form one change only as iptables-restore input for IPv4 and IPv6 (rules.v4 + rules.v6).`,
        { code: 'IPTABLES_PAIR', actions: ['Plan or apply one file at a time.'] },
      );
    iptablesFormat.validate(f.text, f.path);
  }
  return combinePair(files);
}
