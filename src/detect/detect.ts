import { probe } from './probe.js';
import { summarise } from './summarise.js';
import type { DetectResultT } from './schema.js';

/** `fwsafe detect`: which backends hold rules in the namespace, who owns what, and what to watch out for. */
export async function detect(options: { netns: string | null }): Promise<DetectResultT> {
  const started = performance.now();
  const facts = await probe(options.netns);
  return { ...summarise(facts), durationMs: Math.round(performance.now() - started) };
}
