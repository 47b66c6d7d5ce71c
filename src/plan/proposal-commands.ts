import { topLevel } from '../ruleset/scan.js';
import { UserError } from '../errors.js';

// Commands nft accepts in a file that change nothing fwsafe can plan or roll back: `monitor` never
// returns (apply would hang with the change half made), `reset` zeroes live counters and quotas
// outside any rollback, `list`/`export`/`describe` only print.
const NOT_CHANGES: Record<string, string> = {
  monitor: 'never returns: nft would block there, with the change applied and apply waiting',
  reset: 'zeroes live counters or quotas, which neither the plan nor its rollback can show or undo',
  list: 'only prints',
  export: 'only prints',
  describe: 'only prints',
};

/** Top-level commands of an nft script with their line numbers (block contents, strings and comments skipped). */
export function topLevelCommands(text: string): { word: string; line: number }[] {
  return topLevel(text).flatMap((s) => {
    const word = /^[a-z]+/i.exec(s.words[0]!)?.[0];
    return word === undefined ? [] : [{ word: word.toLowerCase(), line: s.line }];
  });
}

/** Refuses a proposal holding commands that are not changes (see NOT_CHANGES). */
export function refuseNonChanges(text: string, path: string): void {
  const hit = topLevelCommands(text).find((c) => c.word in NOT_CHANGES);
  if (!hit) return;
  throw new UserError(
    `The proposal ${path} runs \`${hit.word}\` on line ${hit.line}, which is not a change to the ruleset: it ${NOT_CHANGES[hit.word]}.`,
    {
      code: 'PROPOSAL_NOT_A_CHANGE',
      actions: [
        `Remove line ${hit.line}; a proposal holds only what changes the ruleset (table blocks, add/insert/replace/delete/flush/create commands).`,
      ],
    },
  );
}
