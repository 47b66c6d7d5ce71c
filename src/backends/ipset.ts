import { hasBinary } from '../run/binaries.js';
import { run } from '../run/runner.js';

/** Rules that need ipsets to load: `-m set --match-set`, `-j SET`, nft's `@set` is its own. */
export const USES_IPSET = /--match-set\s|-j SET\b/;

/**
 * The namespace's ipsets as `ipset save` prints them (what `ipset restore` loads), or null when there is
 * no ipset program or no set. Read only; used to reproduce `-m set` rules in scratch and probe namespaces.
 */
export async function saveIpsets(netns: string | null): Promise<string | null> {
  if (!hasBinary('ipset')) return null;
  const r = await run('ipset', ['save'], { netns, allowFailure: true, timeoutMs: 30_000, stdoutToFile: true });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout : null;
}

/** Loads saved ipsets into a throwaway namespace; a note when they did not load (the tables using them then fail, named). */
export async function loadIpsets(ns: string, saved: string | null): Promise<string | null> {
  if (!saved) return null;
  const r = await run('ipset', ['restore'], { netns: ns, input: saved, allowFailure: true, timeoutMs: 30_000 });
  return r.exitCode === 0 ? null : `the live ipsets could not be loaded (${r.stderr.trim().split('\n')[0]})`;
}
