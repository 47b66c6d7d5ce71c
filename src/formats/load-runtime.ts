import type { FormatIdT, FormatRuntime } from './types.js';

/**
 * The runtime of one format with only that format's modules loaded (runtime.ts loads all three): for
 * `confirm`, which races its deadline and needs one runtime at most.
 */
export async function loadRuntime(id: FormatIdT | undefined): Promise<FormatRuntime> {
  switch (id ?? 'nft') {
    case 'nft':
      return (await import('./nft/runtime.js')).nftRuntime;
    case 'iptables':
      return (await import('./iptables/runtime.js')).iptablesRuntime;
    case 'firewalld':
      return (await import('./firewalld/runtime.js')).firewalldRuntime;
    default: {
      const { runtimeOf } = await import('./runtime.js');
      return runtimeOf(id);
    }
  }
}
