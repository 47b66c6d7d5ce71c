import { UserError } from '../../errors.js';
import { COUNTERS } from '../../backends/iptables-save.js';
import type { IpFamily } from './family.js';
import { restoreWords, silentlyChangedValue } from './values.js';

/** The tables iptables knows, and the built-in chains of each. */
export const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const isBuiltin = (table: string, chain: string): boolean => BUILTIN_CHAINS[table]?.includes(chain) ?? false;

/** `:CHAIN POLICY [p:b]`: policy null for a user chain (`-`). */
export interface ChainDecl {
  name: string;
  policy: string | null;
  counters: string | null;
  line: number;
}

/** A command line (`-A INPUT …`, `-F X`, `-N X`): the line without its `[p:b]` prefix. */
export interface Command {
  op: string;
  chain: string | null;
  /** The line as written, counters stripped: `-A INPUT -p tcp --dport 22 -j ACCEPT`. */
  text: string;
  counters: string | null;
  /** `-j`/`-g` target, when any. */
  target: string | null;
  line: number;
}

export interface RestoreTable {
  name: string;
  line: number;
  chains: ChainDecl[];
  commands: Command[];
}

const CHAIN_NAME = /^[^\s!][^\s]{0,28}$/;
const OPS: Record<string, string> = {
  '-A': 'A',
  '--append': 'A',
  '-I': 'I',
  '--insert': 'I',
  '-D': 'D',
  '--delete': 'D',
  '-R': 'R',
  '--replace': 'R',
  '-F': 'F',
  '--flush': 'F',
  '-X': 'X',
  '--delete-chain': 'X',
  '-N': 'N',
  '--new-chain': 'N',
  '-P': 'P',
  '--policy': 'P',
  '-Z': 'Z',
  '--zero': 'Z',
  '-E': 'E',
  '--rename-chain': 'E',
};

function bad(code: string, path: string, line: number, message: string, action: string): never {
  throw new UserError(`${path}:${line}: ${message}`, { code, actions: [action] });
}

/** The target of a rule: the word after `-j`/`--jump`/`-g`/`--goto`. */
export function targetOf(words: string[]): string | null {
  const i = words.findIndex((w) => w === '-j' || w === '--jump' || w === '-g' || w === '--goto');
  return i >= 0 ? (words[i + 1] ?? null) : null;
}

/**
 * Reads iptables-restore input (what iptables-save prints): `*table`, `:CHAIN POLICY [p:b]`, command
 * lines, `COMMIT`. Refuses, naming the line, what iptables-restore would refuse or misread before the
 * kernel sees it: text outside a table, an unknown table, a table without COMMIT, a bad declaration, and a
 * value iptables-restore would silently store as another (`--dport 99999` on udp becomes 34463; see
 * values.ts). `family`, when known, bounds mask lengths (32 or 128).
 */
export function parseRestore(text: string, path = 'proposal', family: IpFamily | null = null): RestoreTable[] {
  const tables: RestoreTable[] = [];
  let table: RestoreTable | null = null;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      if (table)
        bad(
          'IPTABLES_NO_COMMIT',
          path,
          table.line,
          `table *${table.name} is not closed by COMMIT before *${line.slice(1)} (line ${n}).`,
          'End every table with a line COMMIT, as iptables-save writes.',
        );
      const name = line.slice(1).trim();
      if (!(name in BUILTIN_CHAINS))
        bad(
          'IPTABLES_UNKNOWN_TABLE',
          path,
          n,
          `unknown table *${name}; iptables has ${Object.keys(BUILTIN_CHAINS)
            .map((t) => `*${t}`)
            .join(', ')}.`,
          'Check the table name (iptables-save prints them).',
        );
      if (tables.some((t) => t.name === name))
        bad('IPTABLES_TABLE_TWICE', path, n, `table *${name} appears twice.`, 'Merge the two blocks into one.');
      table = { name, line: n, chains: [], commands: [] };
      tables.push(table);
      return;
    }
    if (!table)
      bad(
        'IPTABLES_OUTSIDE_TABLE',
        path,
        n,
        `"${line.slice(0, 60)}" is outside a table: iptables-restore input starts each table with a line like *filter.`,
        'Put *filter (or *nat, …) before the rules and COMMIT after them.',
      );
    if (line === 'COMMIT') {
      table = null;
      return;
    }
    if (line.startsWith(':')) {
      const [name = '', policy = '', counters = null] = line.slice(1).split(/\s+/);
      if (!CHAIN_NAME.test(name))
        bad(
          'IPTABLES_BAD_CHAIN',
          path,
          n,
          `"${name}" is not a valid chain name (at most 28 characters, no spaces).`,
          'Rename the chain.',
        );
      const builtin = isBuiltin(table.name, name);
      if (builtin && !/^(ACCEPT|DROP)$/.test(policy))
        bad(
          'IPTABLES_BAD_POLICY',
          path,
          n,
          `the built-in chain ${name} needs a policy ACCEPT or DROP, not "${policy}".`,
          `Write :${name} ACCEPT [0:0] or :${name} DROP [0:0].`,
        );
      if (!builtin && policy !== '-') {
        const why =
          /^[A-Z]+$/.test(name) && Object.values(BUILTIN_CHAINS).flat().includes(name)
            ? ` (${name} is not a built-in chain of *${table.name})`
            : '';
        bad(
          'IPTABLES_BAD_POLICY',
          path,
          n,
          `the user chain ${name} cannot have a policy "${policy}"${why}; user chains are declared with "-".`,
          `Write :${name} - [0:0].`,
        );
      }
      if (table.chains.some((c) => c.name === name))
        bad(
          'IPTABLES_CHAIN_TWICE',
          path,
          n,
          `chain ${name} is declared twice in *${table.name}.`,
          'Declare each chain once.',
        );
      table.chains.push({ name, policy: builtin ? policy : null, counters, line: n });
      return;
    }
    const counters = COUNTERS.exec(line);
    const body = counters ? line.slice(counters[0].length) : line;
    // Split once, as iptables-restore splits (a quoted comment is one word), for the op, the chain, the
    // target and the value check alike.
    const words = restoreWords(body);
    const op = OPS[words[0] ?? ''];
    if (!op)
      bad(
        'IPTABLES_BAD_LINE',
        path,
        n,
        `cannot read "${line.slice(0, 60)}": expected a chain (:CHAIN POLICY), a rule (-A CHAIN …) or COMMIT.`,
        'Write the file as iptables-save prints it.',
      );
    const changed = silentlyChangedValue(words, family);
    if (changed)
      bad(
        'IPTABLES_BAD_VALUE',
        path,
        n,
        `"${changed.token}": ${changed.message}. iptables-restore accepts it without a word, so the rule would not be the one written.`,
        changed.action,
      );
    const chain = words[1] && !words[1].startsWith('-') ? words[1] : null;
    table.commands.push({
      op,
      chain,
      text: body,
      counters: counters ? `[${counters[1]}:${counters[2]}]` : null,
      target: targetOf(words),
      line: n,
    });
  });
  if (table !== null) {
    const open = table as RestoreTable;
    bad(
      'IPTABLES_NO_COMMIT',
      path,
      open.line,
      `table *${open.name} is not closed by COMMIT (the file ends first); iptables-restore would apply nothing of it.`,
      'End every table with a line COMMIT, as iptables-save writes.',
    );
  }
  if (tables.length === 0)
    bad(
      'IPTABLES_NO_TABLE',
      path,
      1,
      'no table (*filter …) in the file.',
      'Write iptables-restore input: *filter, the chains and rules, COMMIT.',
    );
  return tables;
}
