import { parseSave } from '../../backends/iptables-save.js';
import { isBuiltin } from './parse.js';
import { foreignOwner, ownRule } from './owners.js';
import { saveBlocks } from './scratch.js';

/**
 * An iptables save with the named tables cut down to the admin's part: the chains other software owns
 * (DOCKER, KUBE-…), the rules jumping into them, and built-in chains left idle (ACCEPT, no rule: the
 * same as absent) are dropped, and a table with nothing left goes. Other tables stay as saved.
 */
export function adminPartOf(save: string | null, tables: readonly string[]): string | null {
  if (save === null || tables.length === 0) return save;
  const out = saveBlocks(save).map((block) => {
    if (!tables.includes(block.table)) return block.text;
    const [table] = parseSave(block.text);
    const chains = (table?.chains ?? [])
      .filter((c) => foreignOwner(c.name) === null)
      .map((c) => ({ ...c, rules: c.rules.filter(ownRule) }))
      .filter((c) => !(isBuiltin(block.table, c.name) && c.policy === 'ACCEPT' && c.rules.length === 0));
    if (chains.length === 0) return '';
    const lines = [`*${block.table}`, ...chains.map((c) => `:${c.name} ${c.policy ?? '-'} [0:0]`)];
    for (const c of chains) lines.push(...c.rules);
    return `${[...lines, 'COMMIT'].join('\n')}\n`;
  });
  return out.join('') || null;
}
