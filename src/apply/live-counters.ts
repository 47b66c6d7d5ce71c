import { run } from '../run/runner.js';
import { normaliseRuleText } from '../ruleset/text.js';
import type { PendingTableT } from '../pending/schema.js';

export interface LiveCounter {
  table: string;
  chain: string;
  /** Normalised rule text (counter values dropped). */
  text: string;
  packets: number;
  bytes: number;
}

const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;

/** Rules carrying a counter in an `nft -a list table` listing, with their chain. */
export function parseCounters(listing: string): LiveCounter[] {
  const out: LiveCounter[] = [];
  let table = '';
  let chain = '';
  for (const line of listing.split('\n')) {
    const trimmed = line.trim();
    const t = /^table (\S+) (\S+) \{/.exec(trimmed);
    if (t) table = `${t[1]} ${t[2]}`;
    const c = /^chain (\S+) \{/.exec(trimmed);
    if (c) chain = c[1]!;
    const m = COUNTER.exec(trimmed);
    if (m && chain && !trimmed.startsWith('chain ')) {
      out.push({ table, chain, text: normaliseRuleText(trimmed), packets: Number(m[1]), bytes: Number(m[2]) });
    }
  }
  return out;
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
  const wanted = new Set(changedRuleTexts.map((t) => normaliseRuleText(t.replace(COUNTER, 'counter'))));
  const changed = counters.filter((c) => wanted.has(c.text));
  return (changed.length > 0 ? changed : counters).slice(0, max);
}
