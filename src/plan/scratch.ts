import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { privateTempDir } from '../state/runtime-dir.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../run/runner.js';
import { listNftRuleset, type NftListing } from '../backends/nft.js';
import { splitTables } from '../ruleset/text.js';
import { kernelRejection } from './nft-error.js';
import { interfacesNeeded } from './interface-names.js';
import { hasHandleReferences, translateHandles } from './handles.js';

const PREFIX = 'fwsafe-scratch-';

export interface ScratchResult {
  /** The loaded base as the scratch kernel lists it; null when it was not needed (no handles to translate). */
  before: NftListing | null;
  after: NftListing;
  /** Base tables that could not be reloaded from text (e.g. iptables-nft tables with xt matches). */
  notReproduced: string[];
}

export { interfacesNeeded };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes scratch (or probe) namespaces left behind by fwsafe processes that died. */
export async function cleanStale(prefix = PREFIX): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${prefix}(\\d+)-`).exec(name)?.[1]);
    if (pid && !pidAlive(pid)) await run('ip', ['netns', 'del', name], { allowFailure: true });
  }
}

export interface ScratchOptions {
  /** The live (or stored) listing the proposal was written against: its handles are the ones a proposal names. */
  baseText: string;
  /** What to load before the proposal runs (default: all of baseText). Only the tables the proposal depends on: see proposal-scope.ts. */
  loadText?: string;
  /** List the loaded base (default true). Needed anyway when the proposal names handles. */
  listBefore?: boolean;
  proposalPath: string;
  proposalText: string;
  /** The scratch namespace will hold at most one table: list it whole, without finding the tables first. */
  oneTable?: boolean;
}

/**
 * Computes a proposal's effect with the kernel's own parser and semantics in a throwaway namespace:
 * load the base (or the part of it the proposal depends on), run the proposal, list the result.
 * Nothing live is touched.
 */
export async function computeInScratch(options: ScratchOptions): Promise<ScratchResult> {
  const loadText = options.loadText ?? options.baseText;
  const listBefore = (options.listBefore ?? true) || hasHandleReferences(options.proposalText);
  await cleanStale();
  const ns = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = privateTempDir('fwsafe-plan-');
  await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await addStandInInterfaces(ns, interfacesNeeded(`${loadText}\n${options.proposalText}`));
    const notReproduced = await loadBase(ns, dir, loadText);
    const listing = { oneTable: options.oneTable ?? false };
    const before = listBefore ? await listNftRuleset(ns, listing) : null;
    // The kernel validates exactly the text the plan records (a private copy; nft resolves relative
    // includes from its include path, never from the file's directory, so the copy means the same),
    // with one exception: live handles in the proposal become the handles the same objects have here.
    const proposal = join(dir, 'proposal.nft');
    const translated = before
      ? translateHandles(options.baseText, before.text, options.proposalText)
      : { text: options.proposalText, rewrites: [] };
    writeFileSync(proposal, translated.text, { mode: 0o600 });
    const applied = await run('nft', ['-f', proposal], { netns: ns, allowFailure: true });
    if (applied.exitCode !== 0)
      throw kernelRejection(applied.stderr, {
        proposalPath: options.proposalPath,
        paths: { [proposal]: options.proposalPath },
        notReproduced,
        rewrites: translated.rewrites,
      });
    const after = await listNftRuleset(ns, listing);
    return { before, after, notReproduced };
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stand-ins (veth pairs) for the interfaces a ruleset names, so rules that need them load; existing names are kept. */
export async function addStandInInterfaces(ns: string, names: string[]): Promise<void> {
  const add = (name: string, i: number) =>
    run('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `fwsp${i}`], { allowFailure: true });
  await Promise.all(names.map(add));
}

/** Loads the base in one go; when that fails, table by table, skipping (and naming) those that fail. */
export async function loadBase(ns: string, dir: string, baseText: string): Promise<string[]> {
  if (baseText.trim() === '') return [];
  const file = join(dir, 'base.nft');
  writeFileSync(file, baseText, { mode: 0o600 });
  const whole = await run('nft', ['-f', file], { netns: ns, allowFailure: true });
  if (whole.exitCode === 0) return [];
  const failed: string[] = [];
  for (const table of splitTables(baseText)) {
    const one = join(dir, 'table.nft');
    writeFileSync(one, `${table.raw}\n`, { mode: 0o600 });
    const r = await run('nft', ['-f', one], { netns: ns, allowFailure: true });
    if (r.exitCode !== 0) failed.push(`${table.family} ${table.name}`);
  }
  return failed;
}
