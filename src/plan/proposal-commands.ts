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

/** Top-level commands of an nft script with their line numbers (inside table blocks, quotes and comments skipped). */
export function topLevelCommands(text: string): { word: string; line: number }[] {
  const out: { word: string; line: number }[] = [];
  let depth = 0;
  let quoted = false;
  let line = 1;
  let start = true;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '\n') {
      line += 1;
      quoted = false;
      if (depth === 0) start = true;
      continue;
    }
    if (quoted) {
      if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '#') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i += 1;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '{') depth += 1;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === ';' && depth === 0) start = true;
    else if (start && depth === 0 && /[a-z]/i.test(ch)) {
      const word = /^[a-z]+/i.exec(text.slice(i))![0];
      out.push({ word: word.toLowerCase(), line });
      i += word.length - 1;
      start = false;
    } else if (!/\s/.test(ch) && ch !== '\\') start = false;
  }
  return out;
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
