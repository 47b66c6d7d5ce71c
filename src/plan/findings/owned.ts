import { ownerFlag } from '../../backends/owner-flag.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

/** A table with the nft owner flag cannot be changed by anyone but its owner: never planned as an nft edit. */
export const ownedTables: Analyser = (ctx) => {
  const out: FindingT[] = [];
  for (const key of ctx.touched) {
    const table = ctx.base.tables.find((t) => t.key === key);
    const flag = table ? ownerFlag(table) : null;
    if (!flag?.owned) continue;
    const firewalld = table!.name === 'firewalld';
    out.push({
      code: 'TABLE_OWNER_FLAG',
      severity: 'error',
      message: `Table ${key} carries the nft owner flag (owned by the process ${flag.progname ?? 'that created it'}): the kernel lets no other process change it, so neither this change nor its rollback could be applied by nft.`,
      fix: firewalld
        ? 'Stage the change through firewalld instead: a .firewalld proposal of firewall-cmd operations (docs/firewalld.md).'
        : `Change it through ${flag.progname ?? 'its owner'}, or put your rules in a table of your own.`,
      location: key,
    });
  }
  return out;
};
