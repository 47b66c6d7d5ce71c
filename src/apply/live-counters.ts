import { run } from '../run/runner.js';
import { tableKey } from '../ruleset/model.js';
import { normaliseRuleText, splitTables } from '../ruleset/text.js';
import type { PendingTableT } from '../pending/schema.js';

export interface LiveCounter {
  table: string;
  chain: string;
  /** Normalised rule text (counter values dropped). */
  text: string;
  packets: number;
  bytes: number;
}

/** Rules carrying a counter in an `nft -a list table` listing, with their chain. */
export function parseCounters(listing: string): LiveCounter[] {
  return splitTables(listing).flatMap((t) =>
    t.blocks
      .filter((b) => b.kind === 'chain')
      .flatMap((chain) =>
        chain.rules.flatMap((r) =>
          r.counter ? [{ table: tableKey(t.family, t.name), chain: chain.name, text: r.text, ...r.counter }] : [],
        ),
      ),
  );
}

/** Counters of the touched nft tables now (iptables-nft tables are not listed through nft text). */
export async function readLiveCounters(netns: string | null, tables: PendingTableT[]): Promise<LiveCounter[]> {
  const nftTables = tables.filter((t) => !t.iptablesNft);
  const listings = await Promise.all(
    nftTables.map((t) =>
      run('nft', ['-a', 'list', 'table', t.family, t.name], {
        netns,
        allowFailure: true,
        timeoutMs: 5_000,
        stdoutToFile: true,
      }),
    ),
  );
  return listings.filter((r) => r.exitCode === 0).flatMap((r) => parseCounters(r.stdout));
}

/** The counters worth watching: the changed rules when we know them, else every counted rule of the touched tables. */
export function selectWatched(counters: LiveCounter[], changedRuleTexts: string[], max = 8): LiveCounter[] {
  const wanted = new Set(changedRuleTexts.map((t) => normaliseRuleText(t)));
  const changed = counters.filter((c) => wanted.has(c.text));
  return (changed.length > 0 ? changed : counters).slice(0, max);
}
