import { splitTables, withoutHandle } from '../ruleset/text.js';
import type { TouchedTableT } from './schema.js';

/** Keeps only the `*table … COMMIT` blocks of the named tables from iptables-save output. */
export function filterSaveTables(save: string | null, tables: string[]): string | null {
  if (!save || tables.length === 0) return null;
  const out: string[] = [];
  let keep = false;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) keep = tables.includes(line.slice(1).trim());
    if (keep) out.push(line);
    if (line === 'COMMIT') keep = false;
  }
  return out.length ? `${out.join('\n')}\n` : null;
}

/**
 * One transaction step restoring a table as listed: create-if-missing, delete, then the live block with
 * its counters, quota usage and element expiry kept (only handle comments go); null block = just delete.
 */
export function restoreTableScript(family: string, name: string, block: string | null): string {
  const head = `table ${family} ${name}\ndelete table ${family} ${name}\n`;
  if (block === null) return head;
  return head + block.split('\n').map(withoutHandle).join('\n').replace(/\n*$/, '\n');
}

/**
 * What restores every touched table exactly as it is now, in one nft transaction (never `flush ruleset`),
 * plus iptables-nft-restore input for touched tables that iptables-nft manages.
 */
export function buildRollback(
  liveText: string,
  touched: TouchedTableT[],
  iptablesNftSave: { v4: string | null; v6: string | null },
): { nftScript: string; iptablesNft: { v4: string | null; v6: string | null } } {
  const blocks = new Map(splitTables(liveText).map((t) => [`${t.family} ${t.name}`, t.raw]));
  const nft = touched
    .filter((t) => !t.iptablesNft)
    .map((t) =>
      restoreTableScript(t.family, t.name, t.existedBefore ? (blocks.get(`${t.family} ${t.name}`) ?? null) : null),
    )
    .join('');
  const xt = (family: string): string[] =>
    touched.filter((t) => t.iptablesNft && t.family === family).map((t) => t.name);
  return {
    nftScript: nft,
    iptablesNft: {
      v4: filterSaveTables(iptablesNftSave.v4, xt('ip')),
      v6: filterSaveTables(iptablesNftSave.v6, xt('ip6')),
    },
  };
}
