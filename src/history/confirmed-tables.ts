import { join } from 'node:path';
import { z } from 'zod';
import { run } from '../run/runner.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { sha256 } from '../snapshot/hash.js';
import { readStateFile, writeFileAtomic } from '../state/fs-safe.js';
import { parseJsonFile } from '../state/parse.js';
import type { StatePaths } from '../state/paths.js';
import type { RewrittenTableT } from './schema.js';

// What each table fwsafe changed looked like when its change was confirmed: a manager that rewrites it
// later (a firewalld --reload dropping a forced edit) is then noticed by status, log and detect.
const Entry = z.strictObject({
  netns: z.string().nullable(),
  version: z.number().int().positive(),
  confirmedAt: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const Index = z.strictObject({
  schema: z.literal(1),
  tables: z.record(z.string().regex(/^(ip|ip6|inet|arp|bridge|netdev) [A-Za-z0-9_.-]{1,64}$/), Entry),
});
type IndexT = z.infer<typeof Index>;

const indexPath = (paths: StatePaths): string => join(paths.root, 'confirmed-tables.json');

function readIndex(paths: StatePaths): IndexT {
  const text = readStateFile(indexPath(paths));
  return text === null ? { schema: 1, tables: {} } : parseJsonFile(Index, text, indexPath(paths));
}

async function tableHash(netns: string | null, key: string): Promise<string | null> {
  const [family, name] = key.split(' ') as [string, string];
  const r = await run('nft', ['list', 'table', family, name], {
    netns,
    allowFailure: true,
    timeoutMs: 10_000,
    stdoutToFile: true,
  });
  const block = r.exitCode === 0 ? splitTables(r.stdout)[0] : undefined;
  return block ? sha256(normaliseBlock(block.raw)) : null;
}

/** On confirmation: remember the confirmed form of the tables a change touched; `forget` those a manager owns. */
export async function recordConfirmedTables(
  paths: StatePaths,
  o: { netns: string | null; version: number; confirmedAt: string; tables: string[]; forget: string[] },
): Promise<void> {
  const index = readIndex(paths);
  for (const key of o.forget) delete index.tables[key];
  for (const key of o.tables) {
    const hash = await tableHash(o.netns, key);
    if (hash === null) delete index.tables[key];
    else index.tables[key] = { netns: o.netns, version: o.version, confirmedAt: o.confirmedAt, sha256: hash };
  }
  writeFileAtomic(indexPath(paths), `${JSON.stringify(index, null, 2)}\n`);
}

/** Tables fwsafe changed whose live content no longer matches their last confirmed version. Cheap: one listing per table. */
export async function rewrittenTables(paths: StatePaths): Promise<RewrittenTableT[]> {
  const index = readIndex(paths);
  const entries = Object.entries(index.tables);
  // A namespace that no longer exists (a lab taken down) cannot be compared: its entries are skipped.
  const hashes = await Promise.all(entries.map(([key, e]) => tableHash(e.netns, key).catch(() => undefined)));
  return entries.flatMap(([key, e], i) =>
    hashes[i] === undefined || hashes[i] === e.sha256
      ? []
      : [
          {
            table: key,
            netns: e.netns,
            version: e.version,
            confirmedAt: e.confirmedAt,
            now: hashes[i] === null ? ('missing' as const) : ('changed' as const),
          },
        ],
  );
}

/** One line per rewritten table, for status, log and detect. */
export function rewrittenText(r: RewrittenTableT): string {
  return `table ${r.table}${r.netns ? ` (netns ${r.netns})` : ''} ${r.now === 'missing' ? 'is gone' : 'no longer matches'} version ${r.version}, confirmed at ${r.confirmedAt}: something rewrote it since (a firewalld --reload, another tool). See: fwsafe diff ${r.version} live`;
}

/** True when there is anything to check (status stays cheap without it). */
export function hasConfirmedTables(paths: StatePaths): boolean {
  return readStateFile(indexPath(paths)) !== null;
}
