import { join, resolve } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/fwsafe';

/** Where each piece of state lives inside the state directory. */
export interface StatePaths {
  root: string;
  versions: string;
  /** Content-addressed table texts the versions name (src/history/table-store.ts). */
  tables: string;
  journal: string;
  lock: string;
  pending: string;
  plans: string;
}

export function statePaths(stateDir?: string | null): StatePaths {
  const root = resolve(stateDir ?? process.env.FWSAFE_STATE_DIR ?? DEFAULT_STATE_DIR);
  return {
    root,
    versions: join(root, 'versions'),
    tables: join(root, 'versions', 'tables'),
    journal: join(root, 'journal.jsonl'),
    lock: join(root, 'lock'),
    pending: join(root, 'pending.json'),
    plans: join(root, 'plans'),
  };
}
