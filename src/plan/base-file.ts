import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { stripComments } from '../ruleset/scan.js';
import { splitTables } from '../ruleset/text.js';
import { contentHash } from '../snapshot/hash.js';
import { formatIssues } from '../state/parse.js';
import { ExportDocument, EXPORT_FORMAT, type ExportDocumentT } from '../export/schema.js';

/** What `plan --against FILE` was given: an export of a host (`fwsafe export`) or a saved nft listing. */
export type BaseFile = { kind: 'export'; doc: ExportDocumentT } | { kind: 'nft'; text: string };

export const MAX_BASE_BYTES = 256 * 1024 * 1024;

const HOW =
  'On the host, as root: fwsafe export --out base.json (or nft list ruleset > base.nft), then plan --against that file.';

function refuse(code: string, message: string, actions: string[] = [HOW]): never {
  throw new UserError(message, { code, actions });
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return refuse(
      'AGAINST_UNREADABLE',
      `Cannot read the base ${path} given to --against: ${(error as Error).message}.`,
      ['Check its path and permissions.'],
    );
  }
}

const IPTABLES_SAVE =
  /^(\*(filter|nat|mangle|raw|security)\s*$|:[A-Za-z0-9_.-]+ (ACCEPT|DROP|RETURN|-) \[\d+:\d+\]|COMMIT\s*$|-A \S+ )/m;

/** Lines outside the table blocks that a saved ruleset may hold (comments, a shebang, flush ruleset). */
const HARMLESS = /^(flush ruleset\s*;?)?$/;

/** The 1-based numbers of lines that belong to no table block and are not harmless. */
function strayLines(text: string): number[] {
  const inside = new Set<number>();
  const lines = text.split('\n');
  let from = 0;
  for (const table of splitTables(text)) {
    const start = lines.indexOf(table.raw.split('\n')[0]!, from);
    const count = table.raw.split('\n').length;
    for (let i = start; i < start + count; i += 1) inside.add(i);
    from = start + count;
  }
  return lines.flatMap((line, i) => (inside.has(i) || HARMLESS.test(stripComments(line).trim()) ? [] : [i + 1]));
}

/**
 * Reads and classifies a base for `plan --against`. Anything that is neither an intact export nor an nft
 * ruleset listing is refused with its own code — never taken as an empty ruleset. A refusal names line
 * numbers, never a line's text: the file may be anything root can read (e.g. /etc/shadow).
 */
export function readBaseFile(path: string): BaseFile {
  const bytes = readBytes(path);
  if (bytes.length > MAX_BASE_BYTES)
    refuse(
      'BASE_TOO_LARGE',
      `The base ${path} is ${(bytes.length / 1048576).toFixed(0)} MB; fwsafe reads bases up to ${MAX_BASE_BYTES / 1048576} MB.`,
    );
  if (bytes.includes(0))
    refuse('BASE_BINARY', `The base ${path} contains NUL bytes: it is a binary file, not a ruleset or an export.`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD'))
    refuse('BASE_BINARY', `The base ${path} is not UTF-8 text: it is not a ruleset or an export.`);
  if (text.trimStart().startsWith('{')) return { kind: 'export', doc: parseExport(path, text) };
  if (IPTABLES_SAVE.test(text)) {
    refuse(
      'BASE_IPTABLES_SAVE',
      `The base ${path} looks like iptables-save output, not an nft ruleset or an fwsafe export.`,
      [
        'On the host, as root: fwsafe export --out base.json — it holds the nft rules and the iptables saves of every variant.',
      ],
    );
  }
  const stray = strayLines(text);
  if (stray.length > 0) {
    const where = stray.slice(0, 5).join(', ') + (stray.length > 5 ? ', …' : '');
    refuse(
      'BASE_NOT_A_RULESET',
      `The base ${path} is not an nft ruleset listing: line${stray.length > 1 ? 's' : ''} ${where} belong${stray.length > 1 ? '' : 's'} to no table block.`,
    );
  }
  return { kind: 'nft', text };
}

function parseExport(path: string, text: string): ExportDocumentT {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return refuse(
      'BASE_BAD_EXPORT',
      `The base ${path} starts like JSON but is not valid JSON (${(error as Error).message.split('\n')[0]}).`,
    );
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== EXPORT_FORMAT) {
    const plan = typeof raw === 'object' && raw !== null && 'proposal' in raw && 'base' in raw;
    refuse(
      'BASE_BAD_EXPORT',
      plan
        ? `The base ${path} is an fwsafe plan, not an export of a host's ruleset.`
        : `The base ${path} is JSON but not an fwsafe export (no "format": "${EXPORT_FORMAT}").`,
    );
  }
  const parsed = ExportDocument.safeParse(raw);
  if (!parsed.success)
    refuse('BASE_BAD_EXPORT', `The base ${path} is not a valid fwsafe export: ${formatIssues(parsed.error)}.`);
  const doc = parsed.data;
  const hash = contentHash({ nftText: doc.nft, legacyV4: doc.iptablesLegacy.v4, legacyV6: doc.iptablesLegacy.v6 });
  if (hash !== doc.hash) {
    refuse(
      'BASE_EXPORT_TAMPERED',
      `The export ${path} says its rules hash to ${doc.hash.slice(0, 12)}, but they hash to ${hash.slice(0, 12)}: it was edited after export.`,
      ['Export the host again (fwsafe export --out base.json) and plan against the untouched file.'],
    );
  }
  return doc;
}
