import { run } from '../../run/runner.js';
import { unquote } from '../../ruleset/scan.js';
import { normaliseRuleText, splitTables } from '../../ruleset/text.js';

// firewalld killed (SIGKILL) leaves its table `inet firewalld` in the kernel, and the firewalld started after
// it adds its rules to that table instead of replacing it (measured: firewalld 1.3.3): the old instance's
// rules — the change's among them — stay live although firewalld's runtime no longer holds the change.

/** A rule the change added to firewalld's table (from the plan's nft diff). */
export interface AddedRule {
  chain: string;
  text: string;
}

const key = (chain: string, text: string): string => `${chain}\u0000${normaliseRuleText(text)}`;
const DECLARATION = /^(type |policy |comment |devices )/;

/** How often each rule appears per chain in a table script without handles (the base version's `inet firewalld`). */
export function baseRuleCounts(script: string): Map<string, number> {
  const counts = new Map<string, number>();
  let chain: string | null = null;
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    const open = /^chain (\S+) \{$/.exec(line);
    if (open) {
      chain = unquote(open[1]!);
      continue;
    }
    if (chain === null) continue;
    if (line === '}') {
      chain = null;
      continue;
    }
    if (line === '' || DECLARATION.test(line)) continue;
    const k = key(chain, line);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

interface ListedCopy {
  chain: string;
  handle: number;
  text: string;
}

/**
 * The copies of the change's rules that a killed firewalld's old table left behind, given the table as
 * listed now (`nft -a`) and the base version's script. Only when the table shows the old instance's
 * signature — most of the base's rules there twice as often as in the base — and only copies older than
 * the new firewalld's first rule, so a rule someone else's runtime change generated with the same text
 * (before or after the restart) is never taken for a leftover.
 */
export function leftoverCopies(listing: string, baseScript: string, added: readonly AddedRule[]): ListedCopy[] {
  const table = splitTables(listing).find((t) => t.family === 'inet' && t.name === 'firewalld');
  if (!table) return [];
  const now = new Map<string, ListedCopy[]>();
  for (const block of table.blocks) {
    if (block.kind !== 'chain') continue;
    const chain = unquote(block.name);
    for (const rule of block.rules) {
      const k = key(chain, rule.text);
      now.set(k, [...(now.get(k) ?? []), { chain, handle: rule.handle, text: rule.text }]);
    }
  }
  const base = baseRuleCounts(baseScript);
  const addedKeys = new Set(added.map((a) => key(a.chain, a.text)));
  const others = [...base.entries()].filter(([k]) => !addedKeys.has(k));
  const sorted = (k: string): ListedCopy[] => [...(now.get(k) ?? [])].sort((a, b) => a.handle - b.handle);
  const doubled = others.filter(([k, n]) => sorted(k).length >= 2 * n);
  if (others.length === 0 || doubled.length * 2 < others.length) return [];
  // Handles only grow within a table: the new firewalld's rules all come after the killed one's. Its first
  // copy of each doubled base rule marks where it began; the change's rules below that mark are the old table's.
  const mark = Math.min(...doubled.map(([k, n]) => sorted(k)[n]!.handle));
  return [...addedKeys].flatMap((k) => sorted(k).filter((c) => c.handle < mark));
}

/**
 * After a rollback that found the change already gone from firewalld's runtime: deletes (by handle) the
 * change's rules a killed firewalld's old table still holds. Returns what it removed, or why it could not.
 */
export async function removeLeftovers(
  netns: string | null,
  baseScript: string,
  added: readonly AddedRule[],
): Promise<{ removed: string[]; error: string | null }> {
  if (added.length === 0) return { removed: [], error: null };
  const listed = await run('nft', ['-a', 'list', 'table', 'inet', 'firewalld'], {
    netns,
    allowFailure: true,
    timeoutMs: 10_000,
  });
  if (listed.exitCode !== 0)
    return { removed: [], error: `could not list table inet firewalld: ${listed.stderr.trim().slice(0, 200)}` };
  const removed: string[] = [];
  for (const copy of leftoverCopies(listed.stdout, baseScript, added)) {
    const del = await run('nft', ['delete', 'rule', 'inet', 'firewalld', copy.chain, 'handle', String(copy.handle)], {
      netns,
      allowFailure: true,
      timeoutMs: 10_000,
    });
    const what = `${copy.chain}: ${copy.text}`;
    if (del.exitCode !== 0)
      return { removed, error: `could not delete ${what} (handle ${copy.handle}): ${del.stderr.trim().slice(0, 200)}` };
    removed.push(what);
  }
  return { removed, error: null };
}
