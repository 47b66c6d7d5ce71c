export type Op<T> = { kind: 'same'; a: T; b: T; ai: number; bi: number } | { kind: 'removed'; a: T; ai: number } | { kind: 'added'; b: T; bi: number };

/**
 * Longest-common-subsequence alignment of two lists by key. Common prefix and suffix are trimmed
 * first, so the usual case (a few rules changed in a long chain) stays linear.
 */
export function align<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): Op<T>[] {
  let start = 0;
  while (start < a.length && start < b.length && key(a[start]!) === key(b[start]!)) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && key(a[endA - 1]!) === key(b[endB - 1]!)) {
    endA -= 1;
    endB -= 1;
  }
  const head: Op<T>[] = [];
  for (let i = 0; i < start; i += 1) head.push({ kind: 'same', a: a[i]!, b: b[i]!, ai: i, bi: i });
  const tail: Op<T>[] = [];
  for (let i = endA, j = endB; i < a.length; i += 1, j += 1) tail.push({ kind: 'same', a: a[i]!, b: b[j]!, ai: i, bi: j });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  const middle: Op<T>[] = [];
  if (n * m > 25_000_000) {
    // Too large to align exactly: report as replaced wholesale (still correct, just less precise).
    midA.forEach((x, i) => middle.push({ kind: 'removed', a: x, ai: start + i }));
    midB.forEach((y, j) => middle.push({ kind: 'added', b: y, bi: start + j }));
    return [...head, ...middle, ...tail];
  }
  const ka = midA.map(key);
  const kb = midB.map(key);
  const table: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i]![j] = ka[i] === kb[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) {
      middle.push({ kind: 'same', a: midA[i]!, b: midB[j]!, ai: start + i, bi: start + j });
      i += 1;
      j += 1;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) {
      middle.push({ kind: 'removed', a: midA[i]!, ai: start + i });
      i += 1;
    } else {
      middle.push({ kind: 'added', b: midB[j]!, bi: start + j });
      j += 1;
    }
  }
  for (; i < n; i += 1) middle.push({ kind: 'removed', a: midA[i]!, ai: start + i });
  for (; j < m; j += 1) middle.push({ kind: 'added', b: midB[j]!, bi: start + j });
  return [...head, ...middle, ...tail];
}
