import { tableKey } from '../ruleset/model.js';
import { splitTables } from '../ruleset/text.js';
import { align } from '../plan/lcs.js';
import { restoreTableScript } from '../plan/rollback.js';
import type { InverseObjectT } from '../pending/schema.js';
import { objectBlocks } from './object-blocks.js';
import { elementKey, tableObjects, type ChainObject, type RuleLine, type TableObjects } from './table-objects.js';
import type { RollbackInverseT } from '../pending/schema.js';

/** A piece of the script (one or more whole lines) and the object it belongs to. */
interface Seg {
  text: string;
  origin: number;
}

interface Parts {
  deleteRules: Seg[];
  deleteChains: Seg[];
  deleteSets: Seg[];
  addSets: Seg[];
  addChains: Seg[];
  addChainRules: Seg[];
  headers: Seg[];
  reinsert: Seg[];
  elements: Seg[];
}

const emptyParts = (): Parts => ({
  deleteRules: [],
  deleteChains: [],
  deleteSets: [],
  addSets: [],
  addChains: [],
  addChainRules: [],
  headers: [],
  reinsert: [],
  elements: [],
});

/**
 * The inverse of an applied change, as one nft transaction: what undoes exactly the change's own
 * operations — rules it added deleted by handle, rules it removed re-inserted beside a surviving
 * neighbour (never by index), policies put back, elements it added removed and the ones it removed
 * added back, chains/sets/tables it created deleted. Anything others create meanwhile is not named,
 * so it survives. A table whose change this cannot express (an object other than chains, rules and
 * set elements, a hook change) is restored whole, and said so.
 * `beforeText` is the base listing, `afterText` the listing right after the apply. `wholeScript` is the
 * plan's whole-table restore (rollback.nftScript): where each object stands in it is recorded, so a rollback
 * that meets a conflict can restore that one chain or set from it as it was.
 */
export function inverseDelta(
  beforeText: string,
  afterText: string,
  touched: { family: string; name: string }[],
  wholeScript = '',
): RollbackInverseT {
  const before = new Map(splitTables(beforeText).map((t) => [tableKey(t.family, t.name), t]));
  const after = new Map(splitTables(afterText).map((t) => [tableKey(t.family, t.name), t]));
  const blocks = objectBlocks(wholeScript);
  const objects: InverseObjectT[] = [];
  const objectOf = (o: Omit<InverseObjectT, 'block'>): number => {
    const label = o.kind === 'table' ? `${o.table}` : `${o.table} ${o.kind} ${o.name}`;
    objects.push({ ...o, block: o.change === 'created' ? null : (blocks.get(label) ?? null) });
    return objects.length - 1;
  };
  const parts = emptyParts();
  const whole: string[] = [];
  const wholeScripts: Seg[] = [];
  const ops: string[] = [];
  for (const { family, name } of touched) {
    const key = `${family} ${name}`;
    const b = before.get(key);
    const a = after.get(key);
    if (b === undefined && a === undefined) continue;
    const origin = objectOf({ table: key, kind: 'table', name: '', change: 'table', header: null });
    if (b === undefined) {
      // create-if-missing first: a table someone else deleted meanwhile is no conflict
      wholeScripts.push({ text: `table ${key}\ndelete table ${key}\n`, origin });
      ops.push(`delete table ${key} (the change created it)`);
      continue;
    }
    if (a === undefined) {
      wholeScripts.push({ text: restoreTableScript(family, name, b.raw), origin });
      ops.push(`re-create table ${key} (the change deleted it)`);
      continue;
    }
    const why = tableInverse(key, tableObjects(b), tableObjects(a), parts, ops, objectOf);
    if (why !== null) {
      whole.push(`${key}: ${why}`);
      wholeScripts.push({ text: restoreTableScript(family, name, b.raw), origin });
      ops.push(`restore table ${key} whole (${why})`);
    }
  }
  const ordered = [
    parts.deleteRules,
    parts.deleteChains,
    parts.deleteSets,
    parts.addSets,
    parts.addChains,
    parts.addChainRules,
    parts.headers,
    parts.reinsert,
    parts.elements,
    wholeScripts,
  ].flat();
  const origins = ordered.flatMap((seg) =>
    seg.text
      .split('\n')
      .slice(0, -1)
      .map(() => seg.origin),
  );
  return { nftScript: ordered.map((seg) => seg.text).join(''), ops, wholeTables: whole, objects, origins };
}

type ObjectOf = (o: Omit<InverseObjectT, 'block'>) => number;

/** Adds the inverse of one table's change to `parts`; returns why it cannot, or null. */
function tableInverse(
  key: string,
  b: TableObjects,
  a: TableObjects,
  parts: Parts,
  ops: string[],
  objectOf: ObjectOf,
): string | null {
  if (b.rest !== a.rest) return 'a table property or a named object (counter, quota, flowtable, ct object) changed';
  for (const [name, sb] of b.sets) {
    const sa = a.sets.get(name);
    if (sa && sa.decl.join('\n') !== sb.decl.join('\n')) return `the declaration of ${sb.kind} ${name} changed`;
  }
  for (const [name, cb] of b.chains) {
    const ca = a.chains.get(name);
    if (!ca) continue;
    if (ca.extra.join('\n') !== cb.extra.join('\n')) return `the declaration of chain ${name} changed`;
    if (withoutPolicy(ca.header) !== withoutPolicy(cb.header)) return `the hook of chain ${name} changed`;
  }
  for (const [name, cb] of b.chains) {
    const kept = new Set((a.chains.get(name)?.rules ?? []).map((r) => r.key));
    if (a.chains.has(name) && cb.rules.some((r) => BINDING.test(r.raw) && !kept.has(r.key))) {
      return `a rule it removed from chain ${name} holds a chain binding, which nft 1.0.6 cannot re-insert at a position ${CRASH}`;
    }
  }
  const local = emptyParts();
  const chainObject = (name: string, change: InverseObjectT['change'], header: string | null): number =>
    objectOf({ table: key, kind: 'chain', name, change, header });
  for (const [name, ca] of a.chains) {
    if (b.chains.has(name)) continue;
    const origin = chainObject(name, 'created', ca.header);
    local.deleteChains.push({ text: `flush chain ${key} ${name}\ndelete chain ${key} ${name}\n`, origin });
    ops.push(`delete chain ${key} ${name} (the change created it)`);
  }
  for (const [name, cb] of b.chains) {
    const ca = a.chains.get(name);
    if (!ca) {
      const origin = chainObject(name, 'deleted', cb.header);
      // `create`, not `add`: a chain of that name another program made meanwhile is refused (File exists),
      // never filled with these rules on top of its own; the rollback then restores it whole (inverse-fallback).
      local.addChains.push({ text: `create chain ${key} ${name}${cb.header ? ` { ${cb.header} }` : ''}\n`, origin });
      for (const r of cb.rules) local.addChainRules.push({ text: `add rule ${key} ${name} ${r.raw}\n`, origin });
      ops.push(`re-create chain ${key} ${name} with its ${cb.rules.length} rules (the change deleted it)`);
      continue;
    }
    // Registered only when the change touched it (a rule or its policy).
    let origin = -1;
    const originOf = (): number => {
      if (origin === -1) origin = chainObject(name, 'changed', cb.header);
      return origin;
    };
    if (ca.header !== cb.header) {
      local.headers.push({ text: `chain ${key} ${name} { ${cb.header} }\n`, origin: originOf() });
      ops.push(`restore ${key} ${name}: ${cb.header}`);
    }
    chainRules(key, cb, ca, local, ops, originOf);
  }
  for (const [name, sa] of a.sets) {
    if (b.sets.has(name)) continue;
    const origin = objectOf({ table: key, kind: sa.kind, name, change: 'created', header: null });
    local.deleteSets.push({ text: `delete ${sa.kind} ${key} ${name}\n`, origin });
    ops.push(`delete ${sa.kind} ${key} ${name} (the change created it)`);
  }
  for (const [name, sb] of b.sets) {
    const sa = a.sets.get(name);
    if (!sa) {
      const origin = objectOf({ table: key, kind: sb.kind, name, change: 'deleted', header: null });
      // `create` (its declaration) first, as for a chain: one another program made meanwhile is refused
      // (File exists), never merged with these elements; then the set as listed gives its elements back.
      const create = `create ${sb.kind} ${key} ${name} {\n${sb.decl.slice(1, -1).join('\n')}\n}\n`;
      local.addSets.push({ text: `${create}table ${key} {\n${sb.raw}\n}\n`, origin });
      ops.push(`re-create ${sb.kind} ${key} ${name} (the change deleted it)`);
      continue;
    }
    if (sb.dynamic) continue;
    const had = new Set(sb.elements);
    const has = new Set(sa.elements);
    const added = sa.elements.filter((e) => !had.has(e));
    const removed = sb.elements.filter((e) => !has.has(e));
    if (added.length === 0 && removed.length === 0) continue;
    const origin = objectOf({ table: key, kind: sb.kind, name, change: 'changed', header: null });
    if (added.length > 0) {
      local.elements.push({ text: `delete element ${key} ${name} { ${added.map(elementKey).join(', ')} }\n`, origin });
      ops.push(`delete ${added.length} element(s) the change added to ${key} ${name}`);
    }
    if (removed.length > 0) {
      local.elements.push({ text: `add element ${key} ${name} { ${removed.join(', ')} }\n`, origin });
      ops.push(`add back ${removed.length} element(s) the change removed from ${key} ${name}`);
    }
  }
  for (const k of Object.keys(parts) as (keyof Parts)[]) parts[k].push(...local[k]);
  return null;
}

// A chain binding (`jump { … }`): `add|insert rule … position N` with one makes nft 1.0.6 segfault.
const BINDING = /\b(?:jump|goto) \{/;
const CRASH = '(it crashes)';

const withoutPolicy = (header: string | null): string | null => header?.replace(/\s*policy \S+;/, '') ?? null;

/**
 * Rules of one chain: the change's additions deleted by handle; its removals re-inserted after the
 * nearest surviving rule before them (`add … position H`, in reverse so they keep their order), or
 * before the nearest survivor after them at the head of the chain (`insert … position H`).
 */
function chainRules(
  key: string,
  before: ChainObject,
  after: ChainObject,
  parts: Parts,
  ops: string[],
  originOf: () => number,
): void {
  const steps = align(before.rules, after.rules, (r) => r.key);
  let anchor: number | null = null;
  let pending: RuleLine[] = [];
  const flush = (next: number | null): void => {
    if (pending.length === 0) return;
    if (anchor !== null)
      for (const r of [...pending].reverse())
        parts.reinsert.push({
          text: `add rule ${key} ${before.name} position ${anchor} ${r.raw}\n`,
          origin: originOf(),
        });
    else if (next !== null)
      for (const r of pending)
        parts.reinsert.push({
          text: `insert rule ${key} ${before.name} position ${next} ${r.raw}\n`,
          origin: originOf(),
        });
    else
      for (const r of pending)
        parts.reinsert.push({ text: `add rule ${key} ${before.name} ${r.raw}\n`, origin: originOf() });
    ops.push(`re-insert ${pending.length} rule(s) the change removed from ${key} ${before.name}`);
    pending = [];
  };
  let deleted = 0;
  for (const step of steps) {
    if (step.kind === 'added') {
      parts.deleteRules.push({
        text: `delete rule ${key} ${before.name} handle ${step.b.handle}\n`,
        origin: originOf(),
      });
      deleted += 1;
    } else if (step.kind === 'removed') {
      pending.push(step.a);
    } else {
      flush(step.b.handle);
      anchor = step.b.handle;
    }
  }
  flush(null);
  if (deleted > 0) ops.push(`delete ${deleted} rule(s) the change added to ${key} ${before.name}`);
}
