import { diffArrays } from 'diff';

export type Op<T> =
  | { kind: 'same'; a: T; b: T; ai: number; bi: number }
  | { kind: 'removed'; a: T; ai: number }
  | { kind: 'added'; b: T; bi: number };

/** Beyond this many differing rules in one chain the alignment is not worth its cost. */
const MAX_EDITS = 4_000;

/**
 * Minimal alignment of two lists by key (Myers' O((N+M)·D) diff, as git and diff(1) use): the usual
 * case — a few rules changed in a chain of thousands — costs a pass over the chain, not N×M.
 * Within a changed stretch removals come before additions, so a removed+added pair reads as a change.
 */
export function align<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): Op<T>[] {
  const ka = a.map(key);
  const kb = b.map(key);
  const out: Op<T>[] = [];
  let ai = 0;
  let bi = 0;
  const changes = diffArrays(ka, kb, { maxEditLength: MAX_EDITS });
  if (!changes) {
    // Too different to align usefully: everything replaced (still correct, just less precise).
    a.forEach((x, i) => {
      out.push({ kind: 'removed', a: x, ai: i });
    });
    b.forEach((y, j) => {
      out.push({ kind: 'added', b: y, bi: j });
    });
    return out;
  }
  let removed: Op<T>[] = [];
  let added: Op<T>[] = [];
  const flush = (): void => {
    out.push(...removed, ...added);
    removed = [];
    added = [];
  };
  for (const change of changes) {
    const count = change.count ?? change.value.length;
    if (change.removed) {
      for (let k = 0; k < count; k += 1, ai += 1) removed.push({ kind: 'removed', a: a[ai]!, ai });
    } else if (change.added) {
      for (let k = 0; k < count; k += 1, bi += 1) added.push({ kind: 'added', b: b[bi]!, bi });
    } else {
      flush();
      for (let k = 0; k < count; k += 1, ai += 1, bi += 1) out.push({ kind: 'same', a: a[ai]!, b: b[bi]!, ai, bi });
    }
  }
  flush();
  return out;
}
