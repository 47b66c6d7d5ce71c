import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { addressFamily } from './address.js';
import type { DeclaredFlowT } from './schema.js';
import { stripComments } from '../ruleset/scan.js';

export const DEFAULT_FLOWS_FILE = '/etc/fwsafe/flows';
export const MAX_FLOWS_BYTES = 1024 * 1024;
export const MAX_DECLARED_FLOWS = 4096;

const PROTOS = new Set(['tcp', 'udp', 'icmp', 'icmpv6']);
const DIRECTIONS = new Set(['in', 'out', 'forward']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * A flows-file error names the file, the line and the word, never the text: the file may be any file
 * root can read (a hostile `--flows /etc/shadow` must not print a password hash).
 */
function bad(path: string, line: number, why: string): UserError {
  return new UserError(`${path} line ${line}: ${why}.`, {
    code: 'FLOWS_FILE_INVALID',
    actions: [
      'Write one flow a line: PROTO [from ADDR[/LEN]] [to [ADDR[/LEN]]:PORT] [in|out|forward] [name=NAME] (see docs/flows.md).',
    ],
  });
}

/** `ADDR:PORT`, `[V6]:PORT`, `:PORT`, or an address/prefix alone (ICMP). */
function parseTarget(word: string): { addr: string | null; port: string | null } {
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(word);
  if (v6) return { addr: v6[1]!, port: v6[2] ?? null };
  const colons = word.split(':').length - 1;
  if (colons === 1) {
    const [addr, port] = word.split(':');
    return { addr: addr === '' ? null : addr!, port: port! };
  }
  return { addr: word, port: null };
}

/** Parses a flows file's text (one declared flow a line; `#` comments). */
export function parseFlows(text: string, path: string): DeclaredFlowT[] {
  const flows: DeclaredFlowT[] = [];
  const names = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const words = stripComments(raw).trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    if (flows.length >= MAX_DECLARED_FLOWS)
      throw bad(
        path,
        line,
        `more than ${MAX_DECLARED_FLOWS} flows; declare classes (prefixes) rather than single peers`,
      );
    const proto = words[0]!;
    if (!PROTOS.has(proto)) throw bad(path, line, 'word 1 must be a protocol: tcp, udp, icmp or icmpv6');
    const flow: DeclaredFlowT = {
      proto: proto as DeclaredFlowT['proto'],
      from: null,
      to: null,
      port: null,
      name: null,
      direction: null,
      line,
    };
    let sawTo = false;
    for (let i = 1; i < words.length; i += 1) {
      const word = words[i]!;
      const at = `word ${i + 1}`;
      if (word === 'from' || word === 'to') {
        const value = words[i + 1];
        if (value === undefined) throw bad(path, line, `"${word}" needs an address after it`);
        i += 1;
        if (word === 'from') {
          if (flow.from !== null) throw bad(path, line, '"from" given twice');
          if (addressFamily(value) === null)
            throw bad(path, line, `word ${i + 1} is not an IPv4/IPv6 address or prefix`);
          flow.from = value;
          continue;
        }
        if (sawTo) throw bad(path, line, '"to" given twice');
        sawTo = true;
        const target = parseTarget(value);
        if (target.addr !== null && addressFamily(target.addr) === null)
          throw bad(path, line, `word ${i + 1} is not an address, prefix or :PORT`);
        if (target.port !== null) {
          if (proto.startsWith('icmp')) throw bad(path, line, `${proto} has no ports`);
          if (!/^\d{1,5}$/.test(target.port) || Number(target.port) < 1 || Number(target.port) > 65535)
            throw bad(path, line, `word ${i + 1}: the port must be 1–65535`);
          flow.port = Number(target.port);
        }
        flow.to = target.addr;
      } else if (word.startsWith('name=')) {
        const name = word.slice(5);
        if (!NAME.test(name)) throw bad(path, line, `${at}: a name is letters, digits, "_", "." and "-" (up to 63)`);
        if (names.has(name)) throw bad(path, line, `the name is already used on line ${names.get(name)}`);
        names.set(name, line);
        flow.name = name;
      } else if (DIRECTIONS.has(word)) {
        if (flow.direction !== null) throw bad(path, line, 'the direction is given twice');
        flow.direction = word as DeclaredFlowT['direction'];
      } else {
        throw bad(path, line, `${at} is not understood (expected from, to, in, out, forward or name=)`);
      }
    }
    if (!sawTo)
      throw bad(
        path,
        line,
        'a flow needs "to": to :PORT (a service here), to ADDR:PORT (a server elsewhere), to ADDR (ICMP)',
      );
    if (!proto.startsWith('icmp') && flow.port === null)
      throw bad(path, line, `${proto} needs a port: to :PORT or to ADDR:PORT`);
    const families = [flow.from, flow.to].filter((a): a is string => a !== null).map((a) => addressFamily(a));
    if (families.length === 2 && families[0] !== families[1])
      throw bad(path, line, '"from" and "to" are of different address families');
    if ((proto === 'icmp' && families.includes('ipv6')) || (proto === 'icmpv6' && families.includes('ipv4')))
      throw bad(path, line, `${proto} does not go with that address family`);
    flows.push(flow);
  });
  return flows;
}

/**
 * Reads the flows file: `--flows FILE` (must exist), else /etc/fwsafe/flows when present. Refuses
 * anything that is not a small, regular text file.
 */
export function readFlowsFile(path: string | null): { path: string | null; flows: DeclaredFlowT[] } {
  const explicit = path !== null;
  const file = path ?? DEFAULT_FLOWS_FILE;
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return { path: null, flows: [] };
    throw new UserError(`Cannot read the flows file ${file}: ${(error as Error).message}.`, {
      code: 'FLOWS_FILE_UNREADABLE',
    });
  }
  if (!stat.isFile())
    throw new UserError(`The flows file ${file} is not a regular file.`, { code: 'FLOWS_FILE_INVALID' });
  if (stat.size > MAX_FLOWS_BYTES)
    throw new UserError(`The flows file ${file} is larger than ${MAX_FLOWS_BYTES / 1024} KiB.`, {
      code: 'FLOWS_FILE_INVALID',
    });
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UserError(`Cannot read the flows file ${file}: ${(error as Error).message}.`, {
      code: 'FLOWS_FILE_UNREADABLE',
    });
  }
  if (bytes.includes(0))
    throw new UserError(`The flows file ${file} contains NUL bytes: it is not a text file.`, {
      code: 'FLOWS_FILE_INVALID',
    });
  return { path: file, flows: parseFlows(bytes.toString('utf8'), file) };
}
