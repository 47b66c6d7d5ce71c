import { run } from '../run/runner.js';

export interface NftListing {
  /** `nft -a list ruleset`: text with handles and counters. */
  text: string;
  /** `nft -j list ruleset`: JSON with handles and counters. */
  json: string;
}

/** Lists the nft ruleset as text and JSON; the two listings run in parallel. */
export async function listNftRuleset(netns: string | null): Promise<NftListing> {
  const [text, json] = await Promise.all([
    run('nft', ['-a', 'list', 'ruleset'], { netns, stdoutToFile: true }),
    run('nft', ['-j', 'list', 'ruleset'], { netns, stdoutToFile: true }),
  ]);
  return { text: text.stdout, json: json.stdout };
}

/** Lists the nft ruleset as text only (handles and counters): one fetch of the ruleset instead of two. */
export async function listNftText(netns: string | null): Promise<string> {
  return (await run('nft', ['-a', 'list', 'ruleset'], { netns, stdoutToFile: true })).stdout;
}

/** Lists only the given tables (text with handles) — cheaper than the whole ruleset. */
export async function listNftTables(netns: string | null, tables: { family: string; name: string }[]): Promise<string> {
  const parts = await Promise.all(
    tables.map((t) => run('nft', ['-a', 'list', 'table', t.family, t.name], { netns, allowFailure: true, stdoutToFile: true })),
  );
  return parts.filter((p) => p.exitCode === 0).map((p) => p.stdout).join('');
}
