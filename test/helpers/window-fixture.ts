// The change most window tests put under a watchdog: a filter table that accepts SSH gains an accept
// for tcp/8080. Shared by the apply, guards and watchdog tests so each reads as what it does to it.
import { afterEach } from 'vitest';
import { killAllPtys } from '../e2e/pty.js';
import { killWatchdog } from '../e2e/state-probe.js';
import { fwsafe, useStateDir, type CliResult } from './cli.js';
import { useNetns } from './netns.js';

/** The live ruleset before the change: SSH accepted, policy accept. */
export const SSH_BASE = `table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
`;

/** The change, in the scoped replace form: the same table plus an accept for tcp/8080. */
export const OPEN_8080 = `table inet filter
delete table inet filter
table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
    tcp dport 8080 counter accept
  }
}
`;

export const FILTER_TABLE = [{ family: 'inet', name: 'filter' }];

/** The change is live. */
export const changed = (t: string): boolean => t.includes('dport 8080');

/** The table is back as it was before the change. */
export const restored = (t: string): boolean => t.includes('tcp dport 22 counter') && !t.includes('8080');

export interface ChangeWindow {
  ns: { readonly name: string };
  state: { readonly path: string };
  cli: (...args: string[]) => CliResult;
}

/**
 * A namespace, a state directory and the CLI bound to both; after each test every terminal this file
 * opened is closed and the directory's watchdog is killed (the state directory is then removed).
 */
export function useChangeWindow(prefix: string): ChangeWindow {
  const ns = useNetns(prefix);
  const state = useStateDir();
  afterEach(() => {
    killAllPtys();
    killWatchdog(state.path);
  });
  return { ns, state, cli: (...args) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]) };
}
