import { randomBytes } from 'node:crypto';
import { run } from '../../run/runner.js';
import { cleanStale } from '../../plan/scratch.js';
import { KernelRejectedError } from '../../errors.js';
import { program } from './programs.js';
import type { IpFamily, IptablesVariant } from './family.js';

export interface IptablesScratchOptions {
  variant: IptablesVariant;
  family: IpFamily;
  /** `iptables-save -c` of the live variant and family (null: nothing live). */
  liveSave: string | null;
  /**
   * The tables the proposal names: only these are loaded when they load alone (jumps never cross
   * tables; the diff and the findings look at nothing else). The probes load the whole live ruleset in
   * a namespace of their own.
   */
  tables: string[];
  /** The restore input the change runs (see applyInput), and the proposal line of each input line. */
  input: string;
  lineMap: number[];
  replaceTables: boolean;
  proposalPath: string;
  proposalLines: string[];
}

export interface IptablesScratchResult {
  before: string;
  after: string;
  /** Live tables the scratch could not load (an ipset it lacks, …): reported for that table only. */
  notReproduced: string[];
}

/** The `*table … COMMIT` blocks of a save, one string each. */
export function saveBlocks(save: string): { table: string; text: string }[] {
  const out: { table: string; text: string }[] = [];
  let cur: { table: string; lines: string[] } | null = null;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) cur = { table: line.slice(1).trim(), lines: [] };
    if (cur) cur.lines.push(line);
    if (line.trim() === 'COMMIT' && cur) {
      out.push({ table: cur.table, text: `${cur.lines.join('\n')}\n` });
      cur = null;
    }
  }
  return out;
}

/** The blocks of a save for these tables (null when none): what the scratch namespace needs of the live rules. */
export function onlyTables(save: string | null, tables: string[]): string | null {
  const blocks = saveBlocks(save ?? '').filter((b) => tables.includes(b.table));
  return blocks.length ? blocks.map((b) => b.text).join('') : null;
}

/** Loads a live save into a namespace with counters: at once, else table by table (naming those that fail). */
export async function loadSave(ns: string, restore: string, save: string | null): Promise<string[]> {
  if (!save?.trim()) return [];
  const whole = await run(restore, ['-c', '-w', '5'], { netns: ns, input: save, allowFailure: true });
  if (whole.exitCode === 0) return [];
  const failed: string[] = [];
  for (const block of saveBlocks(save)) {
    const r = await run(restore, ['-c', '-w', '5'], { netns: ns, input: block.text, allowFailure: true });
    if (r.exitCode !== 0) failed.push(block.table);
  }
  return failed;
}

/**
 * The live tables the proposal names, loaded into the scratch namespace. A match may need what a rule
 * of another table makes (`-m rateest` reads the estimator a mangle `-j RATEEST` creates): when the named
 * tables do not load alone, the whole save is loaded, as the host has it (and as before this shortcut).
 */
async function loadTouched(ns: string, restore: string, save: string | null, tables: string[]): Promise<string[]> {
  const failed = await loadSave(ns, restore, onlyTables(save, tables));
  const others = saveBlocks(save ?? '').some((b) => !tables.includes(b.table));
  return failed.length > 0 && others ? loadSave(ns, restore, save) : failed;
}

/** The kernel's refusal of a restore input, pointed at the proposal's line. */
function rejection(stderr: string, o: IptablesScratchOptions, notReproduced: string[]): KernelRejectedError {
  const cleaned = stderr
    .trim()
    .split('\n')
    .filter((l) => !/^Try `.*-h'/.test(l))
    .join('\n');
  const m = /line:? (\d+)/i.exec(cleaned);
  // iptables-nft checks jumps when the table commits: find the line that names the missing chain.
  const missing = /Chain '([^']+)' does not exist/.exec(cleaned)?.[1];
  const naming = missing
    ? o.proposalLines.findIndex((l) =>
        new RegExp(
          `(^|\\s)(-[jg]|--jump|--goto|-[AIRD])\\s+${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`,
        ).test(l),
      )
    : -1;
  const line = naming >= 0 ? naming + 1 : m ? (o.lineMap[Number(m[1])] ?? null) : null;
  const where = line
    ? `${o.proposalPath} line ${line}: "${(o.proposalLines[line - 1] ?? '').trim().slice(0, 100)}"`
    : o.proposalPath;
  return new KernelRejectedError(
    `${program('restore', o.variant, o.family)} rejected ${where}. Nothing was applied:\n${cleaned}`,
    {
      code: 'KERNEL_REJECTED',
      actions: [
        'Fix the line shown and plan again (iptables -h / man iptables-extensions for matches and targets).',
        ...(notReproduced.length
          ? [`These live tables could not be reproduced for planning: ${notReproduced.join(', ')}.`]
          : []),
      ],
      details: { line, stderr: cleaned },
    },
  );
}

/**
 * Computes an iptables change in a throwaway namespace with the same variant: the live rules of the
 * family loaded natively with their counters (so xt matches like recent, conntrack, comment load as
 * they are), saved, the change run as it will run live, saved again. Nothing live is touched.
 */
export async function computeIptablesInScratch(o: IptablesScratchOptions): Promise<IptablesScratchResult> {
  await cleanStale();
  const ns = `fwsafe-scratch-${process.pid}-${randomBytes(3).toString('hex')}`;
  const [save, restore] = [program('save', o.variant, o.family), program('restore', o.variant, o.family)];
  await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const notReproduced = await loadTouched(ns, restore, o.liveSave, o.tables);
    const before = (await run(save, ['-c'], { netns: ns })).stdout;
    const applied = await run(restore, ['-w', '5', ...(o.replaceTables ? [] : ['--noflush'])], {
      netns: ns,
      input: o.input,
      allowFailure: true,
    });
    if (applied.exitCode !== 0) throw rejection(applied.stderr || applied.stdout, o, notReproduced);
    const after = (await run(save, ['-c'], { netns: ns })).stdout;
    return { before, after, notReproduced };
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
}
