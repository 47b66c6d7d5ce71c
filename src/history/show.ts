import { HistoryStore } from './store.js';
import { comparableText } from './render-text.js';
import type { VersionRecordT } from './schema.js';
import type { SnapshotT } from '../snapshot/schema.js';

export interface ShowResult {
  version: VersionRecordT;
  /** The ruleset: normalised (default) or as listed. */
  text: string;
  snapshot: SnapshotT;
}

export function showVersion(options: { ref: string; stateDir?: string; raw?: boolean }): ShowResult {
  const store = new HistoryStore(options.stateDir);
  const id = store.resolve(options.ref);
  const version = store.get(id);
  const snapshot = store.snapshot(id);
  return { version, snapshot, text: options.raw ? snapshot.nft.text : comparableText(snapshot) };
}
