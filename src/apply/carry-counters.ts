import { braceDelta } from '../ruleset/scan.js';
import { normaliseRuleText, splitTables, withoutHandle } from '../ruleset/text.js';

// A restore puts rules back as they were listed when the change was planned, with the counters and quota
// use of that time. Rules that are still live with the same text keep the values they have now instead,
// read from the listing the rollback takes before it restores (no listing of its own): an nft table or
// object restored whole, an iptables-nft table restored with -c. Line for line: a script keeps its lines,
// so nft's error lines still map to the objects they came from (inverse-fallback.ts).
// Covered: rules on one line, named counters and quotas; set elements keep the values of the plan.

/** What the rollback listed before restoring, counters kept, by table key (`inet filter`). */
export interface LiveListings {
  /** `nft -a list table` output. */
  nft: Record<string, string>;
  /** `iptables-nft-save -c -t NAME` output (ip6 tables: ip6tables-nft-save). */
  xt: Record<string, string>;
}

export const noListings = (): LiveListings => ({ nft: {}, xt: {} });

/** Live lines by object (`inet mine\0chain input`), then by identity; `next`: the first not handed out yet. */
type Queues = Map<string, Map<string, { lines: string[]; next: number }>>;

const CARRIED_KINDS = new Set(['chain', 'counter', 'quota']);
const USED = /\bused \d+ [a-z]+/g;

/** What identifies a line without its values: a rule as normaliseRuleText has it (what listings give), quota use dropped. */
function identity(line: string, normalised = normaliseRuleText(line)): string {
  if (!normalised.includes('used ')) return normalised;
  return normalised.replace(USED, '').replace(/ {2,}/g, ' ').trim();
}
// A named counter's value line (`packets 3 bytes 180`) is all value.
const NAMED_COUNTER = /^packets \d+ bytes \d+$/;
const hasValues = (line: string): boolean => line.includes('packets ') || line.includes('used ');

function push(queues: Queues, object: string, key: string, line: string): void {
  let byKey = queues.get(object);
  if (!byKey) {
    byKey = new Map();
    queues.set(object, byKey);
  }
  const q = byKey.get(key);
  if (q) q.lines.push(line);
  else byKey.set(key, { lines: [line], next: 0 });
}

function take(queues: Queues, object: string, key: string): string | undefined {
  const q = queues.get(object)?.get(key);
  return q && q.next < q.lines.length ? q.lines[q.next++] : undefined;
}

/** The live lines of every chain (one-line rules), named counter and quota, in listed order. */
function nftQueues(listings: Record<string, string>): Queues {
  const queues: Queues = new Map();
  for (const text of Object.values(listings)) {
    for (const t of splitTables(text)) {
      const table = `${t.family} ${t.name}`;
      for (const b of t.blocks) {
        const object = `${table}\0${b.kind} ${b.name}`;
        // A chain's rules as the listing's reader has them (text: normalised once, for every reader).
        if (b.kind === 'chain') {
          for (const r of b.rules)
            if (hasValues(r.raw) && braceDelta(r.raw) === 0) push(queues, object, identity(r.raw, r.text), r.raw);
          continue;
        }
        if (!CARRIED_KINDS.has(b.kind)) continue;
        for (const raw of b.body) {
          const line = withoutHandle(raw).trim();
          if (hasValues(line) && braceDelta(line) === 0) push(queues, object, namedKey(line), line);
        }
      }
    }
  }
  return queues;
}

/** A named counter's or quota's value line. */
const namedKey = (line: string): string => (NAMED_COUNTER.test(line) ? 'packets' : identity(line));

const TABLE_BLOCK = /^table (\S+) (\S+) \{$/;
const OBJECT_BLOCK = /^([a-z]+) (\S+) \{$/;
const ADD_OBJECT_BLOCK = /^add (chain|counter|quota) (\S+) (\S+) (\S+) \{$/;

/**
 * An nft restore script with each counted rule (and named counter or quota) that is live with the same
 * text given its live values. Knows the script's two shapes: `table F N { chain X { … } }` (a table
 * restored whole) and `add chain F N X { … }` (a chain refilled by a fallback). Same number of lines.
 */
export function carryNftCounters(script: string, listings: Record<string, string>): string {
  if (Object.keys(listings).length === 0 || !hasValues(script)) return script;
  const queues = nftQueues(listings);
  if (queues.size === 0) return script;
  let table: string | null = null;
  let object: string | null = null;
  let depth = 0;
  let objectDepth = 0;
  let objectKey = '';
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const trimmed = line.trim();
    const delta = braceDelta(trimmed);
    if (depth === 0) {
      const t = TABLE_BLOCK.exec(trimmed);
      const a = ADD_OBJECT_BLOCK.exec(trimmed);
      if (t) table = `${t[1]} ${t[2]}`;
      if (a) {
        table = `${a[2]} ${a[3]}`;
        object = `${a[1]} ${a[4]}`;
        objectKey = `${table}\0${object}`;
        objectDepth = 1;
      }
    } else if (depth === 1 && table !== null && object === null) {
      const o = OBJECT_BLOCK.exec(trimmed);
      if (o && CARRIED_KINDS.has(o[1]!)) {
        object = `${o[1]} ${o[2]}`;
        objectKey = `${table}\0${object}`;
        objectDepth = 2;
      }
    } else if (object !== null && table !== null && depth === objectDepth && delta === 0 && hasValues(trimmed)) {
      const key = object.startsWith('chain ') ? identity(trimmed) : namedKey(trimmed);
      const live = take(queues, objectKey, key);
      if (live !== undefined) lines[i] = line.slice(0, line.length - line.trimStart().length) + live;
    }
    depth += delta;
    if (object !== null && depth < objectDepth) object = null;
    if (depth <= 0) {
      depth = 0;
      table = null;
      object = null;
    }
  }
  return lines.join('\n');
}

const XT_COUNTERS = /^\[(\d+):(\d+)\] /;
const XT_POLICY = /^(:\S+ \S+) \[\d+:\d+\]$/;

/**
 * iptables-nft-restore input (`-c` form) with each rule that is live with the same text given its live
 * `[packets:bytes]`, and each built-in chain its live policy counters.
 */
export function carryXtCounters(text: string, listings: Record<string, string>): string {
  const saves = Object.values(listings);
  if (saves.length === 0) return text;
  const queues: Queues = new Map();
  let table = '';
  for (const save of saves) {
    for (const line of save.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1).trim();
      else if (XT_COUNTERS.test(line)) push(queues, table, line.replace(XT_COUNTERS, ''), line);
      else if (XT_POLICY.test(line)) push(queues, table, XT_POLICY.exec(line)![1]!, line);
    }
  }
  table = '';
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('*')) table = line.slice(1).trim();
      const key = XT_COUNTERS.test(line)
        ? line.replace(XT_COUNTERS, '')
        : XT_POLICY.test(line)
          ? XT_POLICY.exec(line)![1]
          : null;
      return key === null ? line : (take(queues, table, key) ?? line);
    })
    .join('\n');
}
