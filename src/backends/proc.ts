import { run } from '../run/runner.js';

const PROC_TIMEOUT_MS = 5_000;
// Bounded read: these files are a few lines; a runaway file must not fill memory.
const MAX_LINES = '100000';

/** Splits `head -v` output (`==> FILE <==` before each file's lines) into file → content. */
export function parseHeadOutput(text: string, files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  let lines: string[] = [];
  const flush = (): void => {
    if (current !== null) out.set(current, lines.join('\n').replace(/\n+$/, ''));
  };
  for (const line of text.split('\n')) {
    const header = /^==> (.*) <==$/.exec(line);
    if (header && files.includes(header[1]!)) {
      flush();
      current = header[1]!;
      lines = [];
    } else if (current !== null) {
      lines.push(line);
    }
  }
  flush();
  return out;
}

/**
 * Reads several /proc files inside the namespace with one process (one nsenter instead of one per file:
 * detect's cost is mostly process start-up). A file that does not exist is absent from the map.
 */
export async function readProcFiles(netns: string | null, files: readonly string[]): Promise<Map<string, string>> {
  // head -v prints a header before each file even when there is one, and goes on past missing files.
  const r = await run('head', ['-v', '-n', MAX_LINES, '--', ...files], {
    netns,
    allowFailure: true,
    timeoutMs: PROC_TIMEOUT_MS,
  });
  return parseHeadOutput(r.stdout, files);
}

/** Non-empty trimmed lines of a /proc listing (e.g. ip_tables_names); empty when absent. */
export const procLines = (content: string | undefined): string[] =>
  (content ?? '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

/** The integer in a /proc file; null when absent or not a number. */
export function procNumber(content: string | undefined): number | null {
  const n = Number.parseInt((content ?? '').trim(), 10);
  return Number.isFinite(n) ? n : null;
}

export const LEGACY_NAMES = { v4: '/proc/net/ip_tables_names', v6: '/proc/net/ip6_tables_names' } as const;
export const CONNTRACK = {
  count: '/proc/sys/net/netfilter/nf_conntrack_count',
  max: '/proc/sys/net/netfilter/nf_conntrack_max',
} as const;
