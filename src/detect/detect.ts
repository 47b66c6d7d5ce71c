import { needsRoot } from '../errors.js';
import { probe } from './probe.js';
import { summarise } from './summarise.js';
import type { DetectResultT } from './schema.js';

/** `fwsafe detect`: which backends hold rules in the namespace, who owns what, and what to watch out for. */
export async function detect(options: { netns: string | null; uid?: number }): Promise<DetectResultT> {
  // Listing the ruleset needs CAP_NET_ADMIN: say so plainly instead of relaying nft's netlink error.
  if ((options.uid ?? process.getuid?.()) !== 0)
    throw needsRoot('Reading the firewall (nft list ruleset, iptables-legacy-save)');
  const started = performance.now();
  const facts = await probe(options.netns);
  return { ...summarise(facts), durationMs: Math.round(performance.now() - started) };
}
