import type { TableInventoryItem } from '../backends/nft.js';
import type { ProposalScope } from './proposal-scope.js';
import type { FindingT } from './schema.js';

/** Which live tables a plan lists: those the change names (the hash covers these), and for the probes every hooked table. */
export interface ListingScope {
  hashed: string[];
  listed: string[];
  notListed: { table: string; hooks: string[] }[];
  /** Every table found is listed: the listing is the whole ruleset (as a table-by-table listing has it). */
  complete: boolean;
}

/**
 * Tables without a base chain never see a packet, and a table's rules cannot reach into another one:
 * the change is computed from the tables it names, and the probes need only the hooked tables.
 */
export function listingScope(
  scope: Extract<ProposalScope, { kind: 'tables' }>,
  inventory: TableInventoryItem[],
  probing: boolean,
): ListingScope {
  const hashed = [...new Set([...scope.needed, ...scope.replaced])].sort();
  const hooked = inventory.filter((t) => t.hooks.length > 0);
  const listed = [...new Set([...hashed, ...(probing ? hooked.map((t) => t.key) : [])])];
  const notListed = hooked.filter((t) => !listed.includes(t.key)).map((t) => ({ table: t.key, hooks: t.hooks }));
  return { hashed, listed, notListed, complete: inventory.every((t) => listed.includes(t.key)) };
}

const MAX_NAMED = 6;

/** What the rule analysis did not look at (hooked tables left unlisted without probes), said in the plan. */
export function notListedFinding(listing: ListingScope, touchedText: string): FindingT | null {
  const { notListed } = listing;
  if (notListed.length === 0) return null;
  const named = notListed
    .slice(0, MAX_NAMED)
    .map((t) => `${t.table} (${t.hooks.join(', ')})`)
    .join(', ');
  const more = notListed.length > MAX_NAMED ? ` and ${notListed.length - MAX_NAMED} more` : '';
  // Marks are the usual way one table tells another about a packet: then the unseen tables matter.
  const marks = /\b(meta mark|ct mark|mark)\b/.test(touchedText);
  return {
    code: 'TABLES_NOT_ANALYSED',
    severity: marks ? 'warning' : 'info',
    message:
      `Without probes the analysis listed only the tables this change names (${listing.hashed.join(', ')}); ` +
      `${notListed.length} other table(s) with base chains were not listed: ${named}${more}. The change leaves ` +
      'them as they are, so a packet they drop is dropped before and after it; what they do to a packet ' +
      `before it reaches the changed tables (marks, NAT) was not seen${marks ? ', and the changed rules match marks' : ''}.`,
    fix: 'Run plan without --no-probes: the probes load every hooked table and send real packets through all of them.',
    location: null,
  };
}
