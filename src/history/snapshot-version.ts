import { HistoryStore } from './store.js';
import { currentActor } from './actor.js';
import { takeSnapshot } from '../snapshot/take.js';
import type { SnapshotResultT } from '../contracts/snapshot.js';

/** Takes a snapshot of the namespace and stores it as a new version. */
export async function takeAndStoreSnapshot(options: {
  netns: string | null;
  stateDir?: string;
  message: string;
}): Promise<SnapshotResultT> {
  const store = new HistoryStore(options.stateDir);
  store.init();
  const { snapshot } = await takeSnapshot(options.netns, { json: false });
  const previous = store.latest();
  const version = store.add(
    {
      kind: 'snapshot',
      createdAt: snapshot.takenAt,
      actor: currentActor(),
      message: options.message,
      netns: options.netns,
      hash: snapshot.hash,
      summary: snapshot.summary,
      change: null,
    },
    snapshot,
  );
  return { version, sameAsVersion: previous && previous.hash === version.hash ? previous.id : null };
}
