import type { DiffResultT, NotComparedTableT } from '../contracts/diff.js';

const label = (s: DiffResultT['from']): string => (s.version === null ? 'live' : `version ${s.version}`);

function owner(t: NotComparedTableT): string {
  const parts = [t.owner ?? 'owner unknown, not created by fwsafe'];
  if (t.chainOwners.length) parts.push(`chains of ${t.chainOwners.join(', ')}`);
  if (t.iptablesNft) parts.push('admin iptables rules in it are still compared');
  return parts.join('; ');
}

/** The headline of `fwsafe diff` when nothing differs (in the tables compared). */
export function identicalLine(r: DiffResultT): string {
  const scope = r.notCompared.length ? ' in the tables fwsafe manages' : '';
  return `No difference between ${r.from.ref} and ${r.to.ref}${scope}.`;
}

/** The tables `fwsafe diff` left out, named with their owners: never hidden, never silently compared. */
export function notComparedLines(r: DiffResultT): string[] {
  if (r.notCompared.length === 0) return [];
  const [newer, older] = r.notCompared[0]!.side === 'to' ? [r.to, r.from] : [r.from, r.to];
  const [tables, it] = r.notCompared.length === 1 ? ['a table', 'it'] : ['tables', 'them'];
  return [
    `Not compared: ${tables} of other owners, not managed by fwsafe (in ${label(newer)} but not in ${label(older)}, and no fwsafe change created ${it}; rollback leaves ${it} alone; --all compares ${it} too):`,
    ...r.notCompared.map((t) => `  ${t.table} (${owner(t)})`),
  ];
}
