import { braceDelta } from '../ruleset/scan.js';
import { splitTables, withoutHandle, withoutVolatile } from '../ruleset/text.js';

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

type Queues = Map<string, string[]>;

const CARRIED_KINDS = new Set(['chain', 'counter', 'quota']);
// A named counter's value line (`packets 3 bytes 180`) is all value.
const identity = (line: string): string =>
  withoutVolatile(line.trim().replace(/^packets \d+ bytes \d+$/, 'packets'))
    .replace(/\s+/g, ' ')
    .trim();
const slot = (table: string, object: string, line: string): string => `${table}\0${object}\0${identity(line)}`;

function push(queues: Queues, key: string, line: string): void {
  const q = queues.get(key);
  if (q) q.push(line);
  else queues.set(key, [line]);
}

/** The live lines of every chain (one-line rules), named counter and quota, in listed order. */
function nftQueues(listings: Record<string, string>): Queues {
  const queues: Queues = new Map();
  for (const text of Object.values(listings)) {
    for (const t of splitTables(text)) {
      const table = `${t.family} ${t.name}`;
      for (const b of t.blocks) {
        if (!CARRIED_KINDS.has(b.kind)) continue;
        for (const raw of b.body) {
          const line = withoutHandle(raw).trim();
          if (line === '' || braceDelta(line) !== 0) continue;
          push(queues, slot(table, `${b.kind} ${b.name}`, line), line);
        }
      }
    }
  }
  return queues;
}

const TABLE_BLOCK = /^table (\S+) (\S+) \{$/;
const OBJECT_BLOCK = /^([a-z]+) (\S+) \{$/;
const ADD_OBJECT_BLOCK = /^add (chain|counter|quota) (\S+) (\S+) (\S+) \{$/;
const VOLATILE = /\bcounter packets \d+ bytes \d+|\bused \d+ [a-z]+|^packets \d+ bytes \d+$/;
const ANY_VOLATILE = /\bpackets \d+ bytes \d+|\bused \d+ [a-z]+/;

/**
 * An nft restore script with each counted rule (and named counter or quota) that is live with the same
 * text given its live values. Knows the script's two shapes: `table F N { chain X { … } }` (a table
 * restored whole) and `add chain F N X { … }` (a chain refilled by a fallback). Same number of lines.
 */
export function carryNftCounters(script: string, listings: Record<string, string>): string {
  if (Object.keys(listings).length === 0 || !ANY_VOLATILE.test(script)) return script;
  const queues = nftQueues(listings);
  if (queues.size === 0) return script;
  let table: string | null = null;
  let object: string | null = null;
  let depth = 0;
  let objectDepth = 0;
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
        objectDepth = 1;
      }
    } else if (depth === 1 && table !== null && object === null) {
      const o = OBJECT_BLOCK.exec(trimmed);
      if (o && CARRIED_KINDS.has(o[1]!)) {
        object = `${o[1]} ${o[2]}`;
        objectDepth = 2;
      }
    } else if (object !== null && table !== null && depth === objectDepth && delta === 0 && VOLATILE.test(trimmed)) {
      const live = queues.get(slot(table, object, trimmed))?.shift();
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
      else if (XT_COUNTERS.test(line)) push(queues, `${table}\0${line.replace(XT_COUNTERS, '')}`, line);
      else if (XT_POLICY.test(line)) push(queues, `${table}\0${XT_POLICY.exec(line)![1]}`, line);
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
      return key === null ? line : (queues.get(`${table}\0${key}`)?.shift() ?? line);
    })
    .join('\n');
}
