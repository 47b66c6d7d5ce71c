import { normaliseBlock } from '../ruleset/text.js';

/**
 * One nft transaction replacing a table: create-if-missing, delete, then the new block (nft 1.0.6 has
 * no `destroy table`). With `block` null the table is just removed.
 */
export function replaceTableScript(family: string, name: string, block: string | null): string {
  const head = `table ${family} ${name}\ndelete table ${family} ${name}\n`;
  return block === null ? head : head + normaliseBlock(block);
}
