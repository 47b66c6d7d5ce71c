import { ExitCode, FwsafeError, KernelRejectedError } from '../errors.js';

/** What kind of mistake nft reported: a stable code per kind (all exit 4), so CI can tell them apart. */
const KINDS: { code: string; test: RegExp; what: string }[] = [
  { code: 'KERNEL_REJECTED_SYNTAX', test: /syntax error/i, what: 'a syntax error' },
  { code: 'KERNEL_REJECTED_INCLUDE', test: /File not found/i, what: 'an include of a file that does not exist' },
  {
    code: 'KERNEL_REJECTED_VARIABLE',
    test: /unknown identifier|redefinition of symbol/i,
    what: 'a variable that is undefined or defined twice',
  },
  { code: 'KERNEL_REJECTED_SET_FULL', test: /Too many open files/i, what: "more elements than the set's size allows" },
  { code: 'KERNEL_REJECTED_LOOP', test: /Too many links|loop/i, what: 'a jump loop between chains' },
  { code: 'KERNEL_REJECTED_NO_DEVICE', test: /Interface does not exist/i, what: 'an interface that does not exist' },
  {
    code: 'KERNEL_REJECTED_NOT_FOUND',
    test: /No such file or directory/i,
    what: 'a table, chain, set, rule handle or jump target that does not exist',
  },
  { code: 'KERNEL_REJECTED_EXISTS', test: /File exists/i, what: 'an object that already exists' },
  {
    code: 'KERNEL_REJECTED_UNSUPPORTED',
    test: /Operation not supported|not supported/i,
    what: 'a combination the kernel does not support',
  },
  { code: 'KERNEL_REJECTED_INVALID', test: /Invalid argument/i, what: 'an argument the kernel refused' },
  {
    code: 'KERNEL_REJECTED_VALUE',
    test: /resolve hostname|out of range|invalid|Prefix length|Could not parse|conflicting|Value .* exceeds/i,
    what: 'a value that is not valid here',
  },
];

export interface NftErrorLocation {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** The first `file:line:col-col: Error: message` of nft's stderr. */
export function firstNftError(stderr: string): NftErrorLocation | null {
  const m = /^(.*?):(\d+):(\d+)(?:-\d+)?: Error: (.*)$/m.exec(stderr);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]), message: m[4]!.trim() } : null;
}

const HEADER = /^(.*?):(\d+):(\d+)(?:-\d+)?: (Error|Warning): (.*)$/;

/**
 * nft's stderr without the text of files that are not the proposal: nft quotes the offending line of
 * an included file (`include "/etc/shadow"` prints its lines, hashes included). An error in such a file
 * keeps its file, line and message (quoted tokens elided); the quoted line and its carets are dropped.
 */
export function redactIncluded(stderr: string, proposalFiles: string[]): string {
  const own = new Set([...proposalFiles, '/dev/stdin', 'stdin', '<cmdline>']);
  const out: string[] = [];
  let hiding = false;
  for (const line of stderr.split('\n')) {
    const head = HEADER.exec(line);
    if (head) {
      hiding = !own.has(head[1]!);
      out.push(
        hiding
          ? `${line.replace(/'[^']*'|"[^"]*"/g, '…')} [the line's text is not shown: ${head[1]} is not the proposal]`
          : line,
      );
    } else if (/^In file included from /.test(line)) {
      hiding = false;
      out.push(line);
    } else if (!hiding) out.push(line);
  }
  return out.join('\n');
}

/** nft's stderr with scratch paths replaced by the user's file, include noise dropped, at most 12 lines. */
export function cleanNftStderr(
  stderr: string,
  paths: Record<string, string>,
  rewrites: { original: string; rewritten: string }[] = [],
): string {
  let text = redactIncluded(stderr, Object.keys(paths));
  for (const [scratch, user] of Object.entries(paths)) text = text.split(scratch).join(user);
  // nft quotes the line it read: show the user's own line, not its handle-translated scratch copy.
  const originals = new Map(rewrites.map((r) => [r.rewritten, r.original]));
  return text
    .split('\n')
    .map((line) => originals.get(line) ?? line)
    .filter((line) => line.trim() !== '' && !/^In file included from <cmdline>/.test(line))
    .slice(0, 12)
    .join('\n');
}

/** A clear one-paragraph rejection: what nft refused, where, nft's own lines (with carets), nothing applied. */
export function kernelRejection(
  stderr: string,
  options: {
    proposalPath: string;
    paths?: Record<string, string>;
    notReproduced?: string[];
    rewrites?: { original: string; rewritten: string }[];
  },
): FwsafeError {
  const cleaned = cleanNftStderr(stderr, options.paths ?? {}, options.rewrites);
  const where = firstNftError(cleaned);
  const needed = notReproducedNeeded(cleaned, options.notReproduced ?? []);
  if (where && needed) {
    return new FwsafeError(
      `The proposal changes table ${needed} (${where.file} line ${where.line}), which fwsafe could not reproduce for planning: it holds iptables-nft compat (xt) matches that nft cannot load from text. This is a limit of planning, not a mistake in your file; nothing was applied:\n${cleaned}`,
      {
        code: 'PLAN_TABLE_NOT_REPRODUCED',
        exitCode: ExitCode.error,
        actions: [
          `Change ${needed} with iptables-nft (iptables-nft-save / iptables-nft-restore), or move your rules into a table of your own.`,
        ],
        details: { nft: where, stderr: cleaned, table: needed },
      },
    );
  }
  const kind = where ? KINDS.find((k) => k.test.test(where.message)) : undefined;
  const head = where
    ? `nft rejected ${where.file} line ${where.line}, column ${where.column}: ${where.message} (${kind?.what ?? 'refused by nft'}). Nothing was applied:`
    : `nft rejected the proposal ${options.proposalPath}. Nothing was applied:`;
  const notReproduced = options.notReproduced ?? [];
  return new KernelRejectedError(`${head}\n${cleaned}`, {
    code: kind?.code ?? 'KERNEL_REJECTED',
    actions: [
      'Fix the line shown and plan again.',
      ...(notReproduced.length
        ? [
            `These base tables could not be reproduced for planning (iptables-nft compat matches), so a proposal that changes them is refused here: ${notReproduced.join(', ')}. Change them with iptables-nft.`,
          ]
        : []),
    ],
    details: { nft: where, stderr: cleaned },
  });
}

/** The not-reproduced base table that the offending line names ("ip filter"), if any. */
function notReproducedNeeded(cleaned: string, tables: string[]): string | null {
  const lines = cleaned.split('\n');
  const at = lines.findIndex((l) => / Error: /.test(l));
  const source = at >= 0 ? (lines[at + 1] ?? '') : '';
  return (
    tables.find((t) =>
      new RegExp(`(^|\\s)${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(' ', '\\s+')}(\\s|$)`).test(source),
    ) ?? null
  );
}
