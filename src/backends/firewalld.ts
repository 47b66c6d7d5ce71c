import type { SnapshotT } from '../snapshot/schema.js';

/** firewalld's runtime configuration, when it runs; null otherwise. (Filled in by the detect work.) */
export async function captureFirewalld(_netns: string | null): Promise<SnapshotT['firewalld']> {
  return null;
}
