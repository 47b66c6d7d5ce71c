import type { Analyser, FindingContext } from './context.js';
import type { FindingT } from '../schema.js';
import { sshLockout } from './ssh-lockout.js';
import { dropPolicy } from './policy.js';
import { scope } from './scope.js';
import { unreachable } from './unreachable.js';
import { icmpBlocked } from './icmp.js';
import { missingInterfaces } from './interfaces.js';
import { includes } from './includes.js';
import { analysisIncomplete, notAnalysed } from './not-analysed.js';

/** Every lint rule, in the order their findings are shown; add new analysers here. */
export const ANALYSERS: Analyser[] = [
  scope,
  missingInterfaces,
  sshLockout,
  notAnalysed,
  analysisIncomplete,
  dropPolicy,
  icmpBlocked,
  unreachable,
  includes,
];

const RANK = { error: 0, warning: 1, info: 2 } as const;

export function runAnalysers(ctx: FindingContext, analysers: Analyser[] = ANALYSERS): FindingT[] {
  return analysers.flatMap((a) => a(ctx)).sort((x, y) => RANK[x.severity] - RANK[y.severity]);
}
