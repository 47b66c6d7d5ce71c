import type { InverseObjectT, RollbackInverseT } from '../pending/schema.js';

// What a rollback does when nft refuses the inverse (another program deleted or changed an object it
// names): the objects whose lines failed are restored whole from the plan's whole-table script — a
// chain flushed and given back its rules as they were, a set flushed and given back its elements —
// while every other line stays the inverse; when even that fails, the object's table is restored whole.
// Runs at the deadline: string cuts of what apply prepared, nothing parsed but nft's error lines.

/** Which objects (indexes into inverse.objects) and tables a retry restores whole, and what it leaves out. */
export interface FallbackChoice {
  wholeObjects: Set<number>;
  /** Objects the change created that are gone already: their deletion is left out. */
  dropped: Set<number>;
  wholeTables: Set<string>;
}

export const noFallback = (): FallbackChoice => ({
  wholeObjects: new Set(),
  dropped: new Set(),
  wholeTables: new Set(),
});

/** One line of a built script: which object (or which table, restored whole) it came from. */
export type LineOrigin = { object: number; restore: boolean } | { table: string };

export interface BuiltScript {
  script: string;
  origins: LineOrigin[];
}

const objectLabel = (o: InverseObjectT): string => (o.kind === 'table' ? o.table : `${o.kind} ${o.table} ${o.name}`);

/** The object's block as it was before the change, cut from the whole-table script; null when it is not there. */
function blockOf(o: InverseObjectT, wholeScript: string): string | null {
  if (o.block === null) return null;
  const text = wholeScript.slice(o.block[0], o.block[1]);
  if (o.kind === 'table') return text.startsWith(`table ${o.table}\ndelete table ${o.table}\n`) ? text : null;
  return text.startsWith(`\t${o.kind} ${o.name} {\n`) && /\n\t\}\n?$/.test(text) ? text.replace(/\n?$/, '\n') : null;
}

/** First part of an object's whole restore (run first: empties it), and the second (gives its content back). */
function restoreParts(o: InverseObjectT, block: string): [string, string] {
  const inner = block.slice(block.indexOf('\n') + 1, block.lastIndexOf('\t}'));
  const ref = `${o.table} ${o.name}`;
  if (o.kind === 'chain') {
    // create-if-missing (someone deleted the chain), then empty it; its rules come back with their counters
    // (of the moment where still live: run-inverse.ts carries them in, carry-counters.ts)
    const create = `add chain ${ref}${o.header ? ` { ${o.header} }` : ''}\n`;
    return [`${create}flush chain ${ref}\n`, `add chain ${ref} {\n${inner}}\n`];
  }
  return [`flush ${o.kind} ${ref}\n`, `add ${o.kind} ${ref} {\n${inner}}\n`];
}

/**
 * The inverse with the chosen objects restored whole (emptied first, refilled last) and the chosen tables
 * restored whole (at the end); null when something chosen cannot be cut from the whole-table script.
 */
export function buildFallback(
  inverse: RollbackInverseT,
  wholeScript: string,
  choice: FallbackChoice,
): BuiltScript | null {
  const objects = inverse.objects ?? [];
  const origins = inverse.origins ?? [];
  const lines = inverse.nftScript.split('\n');
  // Every line must name its object, or lines would be dropped unseen.
  if (origins.length !== lines.length - 1) return null;
  const first: [string, LineOrigin][] = [];
  const middle: [string, LineOrigin][] = [];
  const last: [string, LineOrigin][] = [];
  const push = (into: [string, LineOrigin][], text: string, origin: LineOrigin): void => {
    for (const line of text.split('\n').slice(0, -1)) into.push([line, origin]);
  };
  for (const i of choice.wholeObjects) {
    const o = objects[i];
    if (!o || choice.wholeTables.has(o.table)) continue;
    // A chain or set the change deleted that another program made again is restored whole too (emptied, refilled).
    const block = o.change === 'changed' || o.change === 'deleted' ? blockOf(o, wholeScript) : null;
    if (block === null) return null;
    const [empty, refill] = restoreParts(o, block);
    push(first, empty, { object: i, restore: true });
    push(last, refill, { object: i, restore: true });
  }
  for (let n = 0; n < origins.length; n += 1) {
    const o = objects[origins[n]!];
    if (!o) return null;
    if (choice.wholeTables.has(o.table) || choice.wholeObjects.has(origins[n]!) || choice.dropped.has(origins[n]!))
      continue;
    middle.push([lines[n]!, { object: origins[n]!, restore: false }]);
  }
  for (const table of choice.wholeTables) {
    const o = objects.find((x) => x.kind === 'table' && x.table === table);
    const segment = o ? blockOf(o, wholeScript) : null;
    if (segment === null) return null;
    push(last, segment.replace(/\n?$/, '\n'), { table });
  }
  const all = [...first, ...middle, ...last];
  return { script: all.map(([line]) => `${line}\n`).join(''), origins: all.map(([, origin]) => origin) };
}

/** nft's errors for `nft -f -`: the 1-based line of the script and the message, e.g. `/dev/stdin:3:21-24: Error: …`. */
export function failedLines(stderr: string): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  for (const m of stderr.matchAll(/^\/dev\/stdin:(\d+):[\d-]+: Error: (.*)$/gm))
    out.push({ line: Number(m[1]), message: m[2]! });
  return out;
}

/**
 * The next choice after nft refused `built` with `stderr`: each failed line's object restored whole (a created
 * object already gone: its deletion left out; a deleted chain or set another program made again: restored whole),
 * an object whose whole restore failed: its table whole.
 * null when nothing new can be tried (no line named, or a table restored whole failed itself).
 */
export function nextChoice(
  inverse: RollbackInverseT,
  built: BuiltScript,
  stderr: string,
  choice: FallbackChoice,
): FallbackChoice | null {
  const objects = inverse.objects ?? [];
  const next: FallbackChoice = {
    wholeObjects: new Set(choice.wholeObjects),
    dropped: new Set(choice.dropped),
    wholeTables: new Set(choice.wholeTables),
  };
  const failed = failedLines(stderr);
  if (failed.length === 0) return null;
  for (const { line, message } of failed) {
    const origin = built.origins[line - 1];
    if (origin === undefined || 'table' in origin) return null;
    const o = objects[origin.object]!;
    if (o.kind === 'table') return null;
    if (!origin.restore && o.change === 'deleted' && /File exists/.test(message)) {
      // The change deleted this chain (or set, map) and another program created one of that name meanwhile: restore it whole.
      next.wholeObjects.add(origin.object);
    } else if (origin.restore || o.change !== 'changed') {
      // A created object that is gone already: nothing to undo. Anything else: restore its table whole.
      if (o.change === 'created' && !origin.restore && /No such file or directory/.test(message))
        next.dropped.add(origin.object);
      else next.wholeTables.add(o.table);
    } else next.wholeObjects.add(origin.object);
  }
  const same =
    next.wholeObjects.size === choice.wholeObjects.size &&
    next.dropped.size === choice.dropped.size &&
    next.wholeTables.size === choice.wholeTables.size;
  return same ? null : next;
}

/** What a choice restored whole, as the record names it: `chain inet mine input`, `set inet mine blocklist`, `table inet mine`. */
export function restoredWhole(inverse: RollbackInverseT, choice: FallbackChoice): string[] {
  const objects = inverse.objects ?? [];
  const out = [...choice.wholeTables].map((t) => `table ${t}`);
  for (const i of choice.wholeObjects) {
    const o = objects[i];
    if (o && !choice.wholeTables.has(o.table)) out.push(objectLabel(o));
  }
  return out;
}
