import { run } from '../run/runner.js';
import { tableOpening } from '../ruleset/text.js';

export interface NftListing {
  /** `nft -a list ruleset`: text with handles and counters. */
  text: string;
  /** `nft -j list ruleset`: JSON with handles and counters. */
  json: string;
}

export interface TableName {
  family: string;
  name: string;
}

// nft 1.0.2–1.1.0 list the whole ruleset in time that grows with tables × rules (a cache regression
// fixed in 1.1.1): 40 tables × 2,500 rules took 218 s for `nft list ruleset` and over 60 s for `nft list
// tables`, while `nft list table` of each took 0.14 s and `nft -j list chains` 21 ms (measured here, nft
// 1.0.6). On such an nft every listing goes table by table; the concatenation is byte-identical.
const FIXED_IN = [1, 1, 1];
// Object kinds whose dump names every table holding one, cheaply: at 50k rules `nft -j list chains` takes
// 0.05 s, sets/maps/flowtables 0.02–0.04 s, but counters, quotas, limits and secmarks 3–4 s each (they
// fetch the rules too), so tables holding only such objects (or nothing) are not found.
const DISCOVER = ['chains', 'sets', 'maps', 'flowtables'];

let versionCache: Promise<number[] | null> | undefined;

/** nft's version as numbers (`nft --version` → "nftables v1.0.6 (…)"), or null when unknown. */
export function nftVersion(): Promise<number[] | null> {
  versionCache ??= run('nft', ['--version'], { allowFailure: true, timeoutMs: 5_000 }).then((r) => {
    const m = /v(\d+)\.(\d+)(?:\.(\d+))?/.exec(r.stdout);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
  });
  return versionCache;
}

/** True for an nft whose full-ruleset listing is O(tables × rules): list table by table there. */
export function hasSlowFullListing(version: number[] | null): boolean {
  if (version === null) return false;
  for (let i = 0; i < 3; i += 1) if (version[i] !== FIXED_IN[i]) return version[i]! < FIXED_IN[i]!;
  return false;
}

export interface TableInventoryItem extends TableName {
  /** `family name`, as tableKey() writes it. */
  key: string;
  /** The hooks of its base chains ("input", "prerouting", …): none means no packet ever reaches its rules. */
  hooks: string[];
}

/**
 * The tables of the namespace from cheap per-kind dumps, with the hooks of their base chains. A table
 * holding no chain, set, map or flowtable (an empty table, or one with only named counters, quotas or
 * ct objects) is not found: without a chain it has no effect on packets.
 */
export async function nftTableInventory(netns: string | null): Promise<TableInventoryItem[]> {
  // One nft process for the four dumps (a JSON batch of list commands prints one document per line);
  // an nft that refuses the batch is asked one kind at a time. The batch is fwsafe's own constant, passed
  // as nft's argument: `nft -j -f -` opens /dev/stdin, which fails (ENXIO) when stdin is the socket
  // Node gives a child, so that form always fell back to four processes.
  const batch = JSON.stringify({ nftables: DISCOVER.map((kind) => ({ list: { [kind]: null } })) });
  const one = await run('nft', ['-j', batch], { netns, allowFailure: true, timeoutMs: 30_000 });
  const outputs =
    one.exitCode === 0
      ? one.stdout.split('\n').filter((line) => line.trim() !== '')
      : (
          await Promise.all(
            DISCOVER.map((kind) => run('nft', ['-j', 'list', kind], { netns, allowFailure: true, timeoutMs: 30_000 })),
          )
        )
          .filter((dump) => dump.exitCode === 0)
          .map((dump) => dump.stdout);
  const seen = new Map<string, TableInventoryItem>();
  for (const output of outputs) {
    let items: Record<string, { family?: string; table?: string; hook?: string }>[] = [];
    try {
      items = (JSON.parse(output) as { nftables?: typeof items }).nftables ?? [];
    } catch {
      continue;
    }
    for (const item of items) {
      const body = Object.values(item)[0];
      if (!body?.family || !body.table) continue;
      const key = `${body.family} ${body.table}`;
      const entry = seen.get(key) ?? { family: body.family, name: body.table, key, hooks: [] };
      seen.set(key, entry);
      if ('chain' in item && body.hook && !entry.hooks.includes(body.hook)) entry.hooks.push(body.hook);
    }
  }
  return [...seen.values()];
}

/** The table names alone (see nftTableInventory). */
export async function nftTableNames(netns: string | null): Promise<TableName[]> {
  return (await nftTableInventory(netns)).map(({ family, name }) => ({ family, name }));
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Each table's listing in the given format, in order; a table deleted meanwhile is left out. */
async function perTable(netns: string | null, format: '-a' | '-j', names?: Promise<TableName[]>): Promise<string[]> {
  const tables = await (names ?? nftTableNames(netns));
  const results = await mapLimited(tables, 4, (t) =>
    run('nft', [format, 'list', 'table', t.family, t.name], { netns, allowFailure: true, stdoutToFile: true }),
  );
  // `list ruleset` prints tables in creation order, which is the order of their handles.
  const handle = (out: string): number =>
    format === '-a' ? (tableOpening(out)?.handle ?? 0) : Number(/"table": \{[^}]*?"handle": (\d+)/.exec(out)?.[1] ?? 0);
  return results
    .filter((r) => r.exitCode === 0)
    .map((r) => ({ out: r.stdout, handle: handle(r.stdout) }))
    .sort((a, b) => a.handle - b.handle)
    .map((r) => r.out);
}

/** Joins per-table `nft -j` outputs into one `{"nftables": [metainfo, …]}` document, as `list ruleset` prints it. */
export function joinJsonListings(parts: string[], metainfo: unknown = null): string {
  // One table (the usual plan): its listing already is that document, as nft printed it. Parsing and
  // printing it again cost ~0.3–1.5 s at 50k rules, and the caller parses it once more anyway.
  if (parts.length === 1 && metainfo === null) return parts[0]!;
  let meta = metainfo;
  const items: unknown[] = [];
  for (const part of parts) {
    const list = (JSON.parse(part) as { nftables: Record<string, unknown>[] }).nftables;
    for (const item of list) {
      if ('metainfo' in item) meta ??= item;
      else items.push(item);
    }
  }
  return JSON.stringify({ nftables: meta === null ? items : [meta, ...items] });
}

async function textListing(netns: string | null, names?: Promise<TableName[]>, whole = false): Promise<string> {
  if (!whole && hasSlowFullListing(await nftVersion())) {
    const parts = await perTable(netns, '-a', names);
    if (parts.length > 0) return parts.join('');
  }
  return (await run('nft', ['-a', 'list', 'ruleset'], { netns, stdoutToFile: true })).stdout;
}

async function jsonListing(netns: string | null, names?: Promise<TableName[]>, whole = false): Promise<string> {
  if (!whole && hasSlowFullListing(await nftVersion())) {
    const parts = await perTable(netns, '-j', names);
    if (parts.length > 0) return joinJsonListings(parts);
  }
  return (await run('nft', ['-j', 'list', 'ruleset'], { netns, stdoutToFile: true })).stdout;
}

/**
 * Lists the nft ruleset as text and JSON; the two listings run in parallel (and find the tables once).
 * `oneTable`: the namespace holds at most one table (a scoped scratch namespace): one `list ruleset`
 * costs what that table's listing costs, without finding the tables first.
 */
export async function listNftRuleset(netns: string | null, options: { oneTable?: boolean } = {}): Promise<NftListing> {
  const whole = options.oneTable ?? false;
  const names = !whole && hasSlowFullListing(await nftVersion()) ? nftTableNames(netns) : undefined;
  const [text, json] = await Promise.all([textListing(netns, names, whole), jsonListing(netns, names, whole)]);
  return { text, json };
}

/** Lists the nft ruleset as text only (handles and counters): one fetch of the ruleset instead of two. */
export async function listNftText(netns: string | null): Promise<string> {
  return textListing(netns);
}

/** Lists the nft ruleset as JSON only (handles and counters). */
export async function listNftJson(netns: string | null): Promise<string> {
  return jsonListing(netns);
}

/**
 * The given tables only, as text and JSON in the order `list ruleset` prints them (tables that do not
 * exist are left out): what a plan needs of a ruleset when the change names its tables.
 */
export async function listNftTableSet(netns: string | null, tables: TableName[]): Promise<NftListing> {
  const names = Promise.resolve(tables);
  const [text, json] = await Promise.all([perTable(netns, '-a', names), perTable(netns, '-j', names)]);
  return { text: text.join(''), json: joinJsonListings(json) };
}

/** The same tables as text only (with handles): for a record, which needs no JSON model (half the cost). */
export async function listNftTableSetText(netns: string | null, tables: TableName[]): Promise<string> {
  return (await perTable(netns, '-a', Promise.resolve(tables))).join('');
}

/** Lists only the given tables (text with handles) — cheaper than the whole ruleset. */
export async function listNftTables(netns: string | null, tables: TableName[]): Promise<string> {
  const parts = await Promise.all(
    tables.map((t) =>
      run('nft', ['-a', 'list', 'table', t.family, t.name], { netns, allowFailure: true, stdoutToFile: true }),
    ),
  );
  return parts
    .filter((p) => p.exitCode === 0)
    .map((p) => p.stdout)
    .join('');
}
