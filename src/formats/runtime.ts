import type { FormatIdT, FormatRuntime } from './types.js';
import { nftRuntime } from './nft/runtime.js';
import { firewalldRuntime } from './firewalld/runtime.js';
import { iptablesRuntime } from './iptables/runtime.js';

// The apply side of every format. Imported by apply, confirm, rollback and the watchdog: nothing here
// (or in what it imports) plans; a runtime runs stored steps, compares texts and persists.
const RUNTIMES: Record<string, FormatRuntime> = {
  nft: nftRuntime,
  iptables: iptablesRuntime,
  firewalld: firewalldRuntime,
};

/** The runtime of a format; a format with no runtime yet is a bug (plans of it cannot exist). */
export function runtimeOf(id: FormatIdT | undefined): FormatRuntime {
  const runtime = RUNTIMES[id ?? 'nft'];
  if (!runtime) throw new Error(`no runtime registered for proposal format ${id}`);
  return runtime;
}
