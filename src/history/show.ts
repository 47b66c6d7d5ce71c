import { HistoryStore } from './store.js';
import { comparableText } from './render-text.js';
import type { ShowResultT } from '../contracts/show.js';

export function showVersion(options: { ref: string; stateDir?: string; raw?: boolean }): ShowResultT {
  const store = new HistoryStore(options.stateDir);
  const id = store.resolve(options.ref);
  const version = store.get(id);
  const snapshot = store.snapshot(id);
  return { version, snapshot, text: options.raw ? snapshot.nft.text : comparableText(snapshot) };
}
