/** One `table F N { ... }` block of `nft -a list ruleset` output, split out. */
export interface TableText {
  family: string;
  name: string;
  /** The block as nft printed it (handles included). */
  raw: string;
  /** Rule text by handle, normalised (no handle comment, counters reduced to `counter`). */
  rulesByHandle: Map<number, string>;
}

const TABLE_OPEN = /^table (\S+) (\S+) \{/;
const HANDLE = /\s+# handle (\d+)\s*$/;

// A listing is split several times on its way (model, content hash, rollback, scratch load): at 50k
// rules each split is ~0.1 s. The last few results are kept; a caller never mutates them.
const recent: { text: string; tables: TableText[] }[] = [];

/** Splits `nft -a list ruleset` text into table blocks and rule lines by handle. */
export function splitTables(text: string): TableText[] {
  const hit = recent.find((r) => r.text === text);
  if (hit) return hit.tables;
  const tables = splitTablesUncached(text);
  recent.unshift({ text, tables });
  recent.length = Math.min(recent.length, 3);
  return tables;
}

function splitTablesUncached(text: string): TableText[] {
  const tables: TableText[] = [];
  let current: { family: string; name: string; lines: string[]; rules: Map<number, string> } | null = null;
  let depth = 0;
  let inChain = false;
  // A rule spread over lines (a chain binding `jump { … }`): its parts until the braces close.
  let pending: string[] | null = null;
  for (const line of text.split('\n')) {
    if (current === null) {
      const open = TABLE_OPEN.exec(line);
      if (open) {
        current = { family: open[1]!, name: unquote(open[2]!), lines: [line], rules: new Map() };
        depth = 1;
      }
      continue;
    }
    current.lines.push(line);
    const trimmed = line.trim();
    if (depth === 1 && /^chain \S+ \{/.test(trimmed)) inChain = true;
    const braces = countBraces(trimmed);
    if (pending) pending.push(trimmed);
    else if (inChain && depth === 2) {
      const handle = HANDLE.exec(line);
      if (handle && !trimmed.startsWith('chain ')) current.rules.set(Number(handle[1]), normaliseRuleText(trimmed));
      else if (!handle && braces > 0) pending = [trimmed];
    }
    depth += braces;
    if (pending && depth <= 2) {
      const joined = joinRuleLines(pending);
      const handle = HANDLE.exec(joined);
      if (handle) current.rules.set(Number(handle[1]), normaliseRuleText(joined));
      pending = null;
    }
    if (depth === 1) inChain = false;
    if (depth <= 0) {
      tables.push({
        family: current.family,
        name: current.name,
        raw: current.lines.join('\n'),
        rulesByHandle: current.rules,
      });
      current = null;
      pending = null;
      depth = 0;
    }
  }
  return tables;
}

/**
 * One line of nft text from a rule nft printed over several lines (a chain binding): each inner
 * statement ended by `;`, as `add rule` reads it back (`jump { ip saddr 10.0.0.0/8 accept; drop; }`).
 */
export function joinRuleLines(parts: string[]): string {
  let out = '';
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    if (out === '') out = part;
    else out += out.endsWith('{') ? ` ${part}` : `; ${part}`;
  }
  return out;
}

function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name;
}

/** Net brace count of a line, ignoring braces inside quoted strings and after a comment '#'. */
export function countBraces(line: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '#') break;
    else if (!quoted && ch === '{') n += 1;
    else if (!quoted && ch === '}') n -= 1;
  }
  return n;
}

/** A rule line without its handle comment and with counters/expiry values dropped. */
export function normaliseRuleText(line: string): string {
  return line
    .replace(HANDLE, '')
    .replace(/\bcounter packets \d+ bytes \d+/g, 'counter')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/**
 * Normalised text of a ruleset listing: handle comments gone, counters and quota usage zeroed,
 * set-element expiry dropped, tables sorted, so two listings of the same rules compare equal.
 */
export function normaliseRulesetText(text: string): string {
  return splitTables(text)
    .map((table) => ({ key: `${table.family} ${table.name}`, body: normaliseBlock(table.raw) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((table) => table.body)
    .join('\n');
}

export function normaliseBlock(raw: string): string {
  return `${raw
    .split('\n')
    .map((line) =>
      line
        .replace(HANDLE, '')
        .replace(/\bcounter packets \d+ bytes \d+/g, 'counter')
        .replace(/\bused \d+ [a-z]+/g, '')
        .replace(/ expires [0-9dhms]+/g, '')
        .replace(/\s+$/, ''),
    )
    .join('\n')}\n`;
}
