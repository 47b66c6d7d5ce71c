import { walkInput, type Packet, type WalkResult } from './packet-walk.js';
import type { FindingContext } from './context.js';

export interface Dropped {
  after: WalkResult;
  /** Also dropped before the change. */
  already: boolean;
}

/**
 * Is this packet dropped on the input path after the change, by a table the change touches?
 * (Drops decided by untouched tables are not this change's doing.)
 */
export function droppedByChange(
  ctx: FindingContext,
  packet: Packet,
  hook: 'input' | 'forward' = 'input',
): Dropped | null {
  const after = walkInput(ctx.result, packet, hook);
  if (after.verdict !== 'drop' || !ctx.touched.some((key) => after.decidedBy.startsWith(`${key} `))) return null;
  return { after, already: walkInput(ctx.base, packet, hook).verdict === 'drop' };
}

/** " (probably: some rules could not be evaluated)" / " (already so before)" suffixes. */
export function hedge(d: Dropped): string {
  return `${d.after.uncertain ? ' (probably: some rules could not be evaluated)' : ''}${d.already ? ' (already so before this change)' : ''}`;
}
