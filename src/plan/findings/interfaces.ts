import { indexedInterfaces } from '../interface-names.js';
import type { Analyser } from './context.js';

/** `iif`/`oif` resolve the device when the rule is loaded: a missing one makes the live `nft -f` fail. */
export const missingInterfaces: Analyser = (ctx) => {
  if (!ctx.liveInterfaces) return [];
  const live = new Set(ctx.liveInterfaces);
  const missing = indexedInterfaces(ctx.proposalText).filter((name) => !live.has(name));
  if (missing.length === 0) return [];
  const list = missing.map((n) => `"${n}"`).join(', ');
  return [
    {
      code: 'INTERFACE_MISSING',
      severity: 'error',
      message: `The proposal matches interface${missing.length > 1 ? 's' : ''} ${list} with iif/oif, which must exist when the rule is loaded, and ${missing.length > 1 ? 'they do' : 'it does'} not exist here: the kernel would reject the change at apply time. (The plan itself was computed with stand-in interfaces of those names.)`,
      fix: `Use \`iifname ${list.split(', ')[0]}\` / \`oifname\` (matched by name, also for interfaces that come and go), or create the interface first.`,
      location: null,
    },
  ];
};
