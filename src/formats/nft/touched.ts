import { run } from '../../run/runner.js';
import { normaliseBlock, splitTables } from '../../ruleset/text.js';
import type { PendingTableT } from '../../pending/schema.js';

function key(t: { family: string; name: string }): string {
  return `${t.family} ${t.name}`;
}

/** Normalised block per table key, from nft text (a listing, or the plan's touchedText). */
export function blocksByTable(text: string): Map<string, string> {
  return new Map(splitTables(text).map((t) => [key(t), normaliseBlock(t.raw)]));
}

/** Which touched tables differ now from what the change left: someone else changed them in the window. */
export async function findOverwritten(netns: string | null, tables: PendingTableT[], expectedText: string): Promise<string[]> {
  const expected = blocksByTable(expectedText);
  const live = await Promise.all(
    tables.map((t) => run('nft', ['-a', 'list', 'table', t.family, t.name], { netns, allowFailure: true, timeoutMs: 5_000, stdoutToFile: true })),
  );
  const out: string[] = [];
  tables.forEach((t, i) => {
    const r = live[i]!;
    const now = r.exitCode === 0 ? blocksByTable(r.stdout).get(key(t)) ?? null : null;
    if ((now ?? null) !== (expected.get(key(t)) ?? null)) out.push(key(t));
  });
  return out;
}
