import { createTwoFilesPatch } from 'diff';
import { HistoryStore } from './store.js';
import { comparableText } from './render-text.js';
import { takeSnapshot } from '../snapshot/take.js';
import { assertTakenHere, currentWhere } from '../host/identity.js';
import type { DiffResultT } from '../contracts/diff.js';

interface Side {
  ref: string;
  version: number | null;
  hash: string;
  text: string;
}

async function side(store: HistoryStore, ref: string, netns: string | null): Promise<Side> {
  if (ref === 'live') {
    const { snapshot } = await takeSnapshot(netns, { json: false, generation: false });
    return { ref, version: null, hash: snapshot.hash, text: comparableText(snapshot) };
  }
  const id = store.resolve(ref);
  const record = store.get(id);
  return { ref, version: id, hash: record.hash, text: comparableText(store.snapshot(id)) };
}

/** Unified diff between two versions, or a version and the live ruleset (B defaults to live). */
export async function diffVersions(options: {
  a: string;
  b?: string;
  netns: string | null;
  stateDir?: string;
  fromElsewhere?: boolean;
}): Promise<DiffResultT> {
  const store = new HistoryStore(options.stateDir);
  // A version against the live ruleset only means something where the version was taken.
  const refs = [options.a, options.b ?? 'live'];
  if (refs.includes('live')) {
    const here = currentWhere(options.netns);
    for (const ref of refs.filter((r) => r !== 'live')) {
      const id = store.resolve(ref);
      assertTakenHere(`Version ${id}`, store.get(id).where, here, options.fromElsewhere ?? false);
    }
  }
  const from = await side(store, options.a, options.netns);
  const to = await side(store, options.b ?? 'live', options.netns);
  const label = (s: Side): string => (s.version === null ? 'live' : `version ${s.version}`);
  const unified =
    from.text === to.text
      ? ''
      : createTwoFilesPatch(label(from), label(to), from.text, to.text, '', '', { context: 3 });
  let added = 0;
  let removed = 0;
  for (const line of unified.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) removed += 1;
  }
  const strip = ({ text: _text, ...rest }: Side): Omit<Side, 'text'> => rest;
  return { from: strip(from), to: strip(to), identical: from.text === to.text, added, removed, unified };
}
