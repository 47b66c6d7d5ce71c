import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { statePaths } from '../state/paths.js';
import { UserError } from '../errors.js';

/** The lab keeps its own state, never the host's (/var/lib/fwsafe): its versions are of throwaway namespaces. */
export const LAB_STATE_DIR = '/var/lib/fwsafe-lab';

/** --state-dir (or FWSAFE_STATE_DIR) when given, else the lab's own directory. */
export function labStateDir(stateDir?: string): string {
  return statePaths(stateDir ?? process.env.FWSAFE_STATE_DIR ?? LAB_STATE_DIR).root;
}

const LAB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/;

export interface LabNames {
  name: string;
  adminNetns: string;
  serverNetns: string;
  /** veth names are limited to 15 characters: derived from a hash of the lab name. */
  vethAdmin: string;
  vethServer: string;
  dir: string;
}

export function labNames(name: string, stateDir?: string): LabNames {
  if (!LAB_NAME.test(name)) {
    throw new UserError(`Invalid lab name ${JSON.stringify(name)}: use letters, digits, '-' and '_' (at most 41).`, {
      code: 'BAD_LAB_NAME',
    });
  }
  const tag = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return {
    name,
    adminNetns: `${name}-admin`,
    serverNetns: `${name}-server`,
    vethAdmin: `fwl${tag}a`,
    vethServer: `fwl${tag}s`,
    dir: join(labStateDir(stateDir), 'lab', name),
  };
}
