import { run } from '../run/runner.js';
import { normaliseBlock, splitTables } from '../ruleset/text.js';
import { elementsOnePerLine } from '../plan/element-lines.js';
import { normaliseIptablesSave } from '../snapshot/hash.js';
import { filterSaveTables } from '../plan/rollback.js';
import type { SnapshotT } from '../snapshot/schema.js';
import type { PendingTableT } from '../pending/schema.js';
import type { LiveListings } from './carry-counters.js';

/**
 * What a touched table holds, for comparison: nft tables as normalised nft text (no handles, no counters,
 * set elements sorted), iptables-nft tables as iptables-nft-save text without counters — each through the
 * tool that owns it, so two observations of the same rules compare equal. null: the table does not exist.
 */
export type Fingerprint = Record<string, string | null>;

const key = (t: { family: string; name: string }): string => `${t.family} ${t.name}`;

function nftBlock(text: string, k: string): string | null {
  const table = splitTables(text).find((t) => key(t) === k);
  return table === undefined ? null : elementsOnePerLine(normaliseBlock(table.raw), 'fast');
}

function xtBlock(save: string | null, name: string): string | null {
  const only = filterSaveTables(save, [name]);
  return only === null ? null : `${normaliseIptablesSave(only).trim()}\n`;
}

/** The fingerprint of the touched tables as a snapshot recorded them. */
export function fingerprintOf(snapshot: SnapshotT, tables: PendingTableT[]): Fingerprint {
  const out: Fingerprint = {};
  for (const t of tables) {
    out[key(t)] = t.iptablesNft
      ? xtBlock(t.family === 'ip6' ? snapshot.iptablesNft.v6 : snapshot.iptablesNft.v4, t.name)
      : nftBlock(snapshot.nft.text, key(t));
  }
  return out;
}

/** A fingerprint with the listings it was made from (counters kept): what a restore carries live counters from. */
export interface Observation {
  fingerprint: Fingerprint;
  listings: LiveListings;
}

/** The touched tables as the kernel has them now (one listing per table), fingerprinted. */
export async function observeTablesListed(netns: string | null, tables: PendingTableT[]): Promise<Observation> {
  const listings: LiveListings = { nft: {}, xt: {} };
  const listed = await Promise.all(
    tables.map(async (t) => {
      if (t.iptablesNft) {
        const program = t.family === 'ip6' ? 'ip6tables-nft-save' : 'iptables-nft-save';
        // -c: the fingerprint drops counters (normaliseIptablesSave); a restore carries them (carry-counters.ts).
        const r = await run(program, ['-c', '-t', t.name], { netns, allowFailure: true, timeoutMs: 10_000 });
        if (r.exitCode !== 0 || !r.stdout.includes(`*${t.name}`)) return null;
        listings.xt[key(t)] = r.stdout;
        return xtBlock(r.stdout, t.name);
      }
      const args = ['-a', 'list', 'table', t.family, t.name];
      const r = await run('nft', args, { netns, allowFailure: true, timeoutMs: 10_000, stdoutToFile: true });
      if (r.exitCode === 0) {
        listings.nft[key(t)] = r.stdout;
        return nftBlock(r.stdout, key(t));
      }
      // "No such file or directory": the table does not exist. Anything else: we could not look.
      if (/No such file or directory/.test(r.stderr)) return null;
      throw new Error(`nft list table ${key(t)} failed: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }),
  );
  const fingerprint: Fingerprint = {};
  tables.forEach((t, i) => {
    fingerprint[key(t)] = listed[i]!;
  });
  return { fingerprint, listings };
}

/** The fingerprint of the touched tables as the kernel has them now (one listing per table). */
export async function observeTables(netns: string | null, tables: PendingTableT[]): Promise<Fingerprint> {
  return (await observeTablesListed(netns, tables)).fingerprint;
}

/** Lines of each object: nft `chain X {` / `set X {` blocks, iptables `-A X …` / `:X POLICY` lines. */
export function objectLines(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = 'table header';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line === '}' || line.startsWith('*') || line === 'COMMIT') continue;
    const nftObject = /^(chain|set|map|flowtable|counter|quota|limit|ct \S+) (\S+) \{/.exec(line);
    const xt = /^-A (\S+) /.exec(line) ?? /^:(\S+) /.exec(line);
    if (nftObject) current = `${nftObject[1]} ${nftObject[2]}`;
    const label = xt ? `chain ${xt[1]}` : current;
    // pushed, not copied: a 50k-rule chain is one object
    const lines = out.get(label);
    if (lines) lines.push(line);
    else out.set(label, [line]);
  }
  return out;
}

/**
 * One sentence per table that differs: what someone changed (chains and rule counts); objects `skip`
 * names (`chain input` of a table) are left out, a table differing in nothing else too.
 */
export function describeDifferences(
  expected: Fingerprint,
  live: Fingerprint,
  skip?: (table: string, object: string) => boolean,
): string[] {
  const out: string[] = [];
  for (const [k, want] of Object.entries(expected)) {
    const have = live[k] ?? null;
    if (want === have) continue;
    if (want === null) {
      out.push(`${k} (table created)`);
      continue;
    }
    if (have === null) {
      out.push(`${k} (table deleted)`);
      continue;
    }
    const a = objectLines(want);
    const b = objectLines(have);
    const parts: string[] = [];
    for (const object of new Set([...a.keys(), ...b.keys()])) {
      if (skip?.(k, object)) continue;
      const before = a.get(object) ?? [];
      const after = b.get(object) ?? [];
      if (before.length === 0) parts.push(`${object} added`);
      else if (after.length === 0) parts.push(`${object} deleted`);
      else {
        // Sets, not includes(): a big chain that someone changed must not cost seconds at the deadline.
        const had = new Set(before);
        const has = new Set(after);
        const added = after.filter((l) => !had.has(l)).length;
        const removed = before.filter((l) => !has.has(l)).length;
        if (added > 0 || removed > 0) parts.push(`${object}: +${added} -${removed} line(s)`);
        else if (before.join('\n') !== after.join('\n')) parts.push(`${object}: reordered`);
      }
    }
    if (parts.length > 0 || skip === undefined) out.push(`${k} (${parts.length > 0 ? parts.join(', ') : 'changed'})`);
  }
  return out;
}

/** Tables whose fingerprint differs (keys only). */
export function differingTables(expected: Fingerprint, live: Fingerprint): string[] {
  return Object.keys(expected).filter((k) => expected[k] !== (live[k] ?? null));
}
