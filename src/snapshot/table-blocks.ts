// The table blocks of an `nft -a list` text by where they start and end, without parsing a rule: what
// the version composition (src/history/complete-snapshot.ts) and the scoped hash need of a 50k-rule
// listing. (src/ruleset/text.ts's splitTables parses every rule: ~0.1–0.2 s at 50k rules.)

export interface TableBlock {
  key: string;
  handle: number;
  /** The block as nft printed it, its closing `}` line and newline included. */
  raw: string;
}

/**
 * The table blocks of an `nft -a list` text, by where they start and end (a table opens at column 0 and
 * its `}` closes at column 0; everything inside is indented): no rule is parsed, so a 50k-rule table
 * is cut out in a few ms.
 */
export function tableBlocks(text: string): TableBlock[] {
  const blocks: TableBlock[] = [];
  const next = (from: number): number => {
    if (text.startsWith('table ', from)) return from;
    const i = text.indexOf('\ntable ', from);
    return i === -1 ? -1 : i + 1;
  };
  for (let start = next(0); start !== -1; ) {
    const close = text.indexOf('\n}\n', start);
    const end = close === -1 ? text.length : close + 3;
    const head = /^table (\S+) (\S+) \{(?: # handle (\d+))?/.exec(text.slice(start, text.indexOf('\n', start)));
    if (!head) break;
    const name = head[2]!.replace(/^"(.*)"$/, '$1');
    blocks.push({ key: `${head[1]} ${name}`, handle: Number(head[3] ?? 0), raw: text.slice(start, end) });
    start = end >= text.length ? -1 : next(end);
  }
  return blocks;
}

/** Only the given tables (`family name` keys) of an `nft -a list` text, cut out without parsing a rule. */
export function pickTables(text: string, keys: readonly string[]): string {
  return tableBlocks(text)
    .filter((t) => keys.includes(t.key))
    .map((t) => t.raw)
    .join('');
}

// Content the datapath updates without a commit (dynamic sets, element timeouts, quotas, meters): the
// nft generation proves nothing about it, so a table holding any is always listed again (src/history/complete-snapshot.ts). Plain substring
// tests (a regex with alternatives over a 50k-rule table costs ~0.1 s); a word inside a comment only
// makes fwsafe list that table again.
const VOLATILE = ['expires', 'timeout', 'dynamic', 'quota', 'meter', 'last used', 'add @', 'update @', 'delete @'];
/** True when a table holds content the datapath updates without a commit (see VOLATILE). */
export function volatileTable(raw: string): boolean {
  return VOLATILE.some((word) => raw.includes(word));
}
