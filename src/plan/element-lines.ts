// nft lists set elements several to a line and, for hash sets, in the kernel's bucket order, so adding
// one element can shift or reorder thousands of lines. For the unified diff each element gets a line
// of its own, in a stable order: the diff of a set change is then exactly the elements that change.

const collator = new Intl.Collator('en', { numeric: true });

/** Splits `a, b, "x, y" c, { d, e }` at top-level commas (quotes and braces kept whole). */
export function splitElements(body: string): string[] {
  // Plain elements (addresses, ports, prefixes: no quotes, no nesting): a split is enough, and fast.
  if (!/["{}[\]]/.test(body))
    return body
      .split(',')
      .map((e) => e.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of body) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '{' || ch === '[')) depth += 1;
    if (!quoted && (ch === '}' || ch === ']')) depth -= 1;
    if (!quoted && depth === 0 && ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((e) => e.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/**
 * Rewrites every `elements = { … }` of a normalised listing as one sorted element per line. `human`
 * (the default) sorts as people read (10 after 9), for diffs; `fast` only needs a stable order (the
 * content hash): code-unit order, several times quicker on a 200k-element set.
 */
export function elementsOnePerLine(
  text: string,
  order: 'human' | 'fast' = 'human',
  /** Set when an element list runs to the end of the text unclosed (left as it was). */
  report?: { unclosed: boolean },
): string {
  // Most listings have no set elements at all: nothing to rewrite.
  if (!text.includes('elements = {')) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const m = /^(\s*)elements = \{(.*)$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const start = i;
    // Gather up to the brace that closes the element list (quotes and nested braces respected).
    let body = m[2]!;
    let depth = 1;
    let quoted = false;
    let end = -1;
    for (let j = i; ; j += 1) {
      const chunk = j === i ? body : lines[j]!;
      if (j !== i) body += `\n${chunk}`;
      const offset = body.length - chunk.length;
      for (let k = 0; k < chunk.length; k += 1) {
        const ch = chunk[k]!;
        if (ch === '"') quoted = !quoted;
        else if (!quoted && ch === '{') depth += 1;
        else if (!quoted && ch === '}' && --depth === 0) {
          end = offset + k;
          break;
        }
      }
      if (end >= 0 || j === lines.length - 1) {
        i = j;
        break;
      }
    }
    if (end < 0) {
      if (report) report.unclosed = true;
      out.push(...lines.slice(start, i + 1));
      continue;
    }
    const rest = body.slice(end + 1);
    const elements = splitElements(body.slice(0, end));
    if (order === 'human') elements.sort(collator.compare);
    else elements.sort();
    // One push per element: a spread of 200k arguments overflows the stack.
    out.push(`${m[1]}elements = {`);
    for (const e of elements) out.push(`${m[1]}\t${e},`);
    out.push(`${m[1]}}${rest}`);
  }
  return out.join('\n');
}
