import type { FindingContext } from '../../src/plan/findings/context.js';

/** What the analysers look at, for a unit test: empty rulesets, no session, ssh on 22, unless overridden. */
export function findingContext(over: Partial<FindingContext> = {}): FindingContext {
  return {
    base: { tables: [] },
    result: { tables: [] },
    touched: [],
    proposalText: '',
    sshPorts: [22],
    ssh: null,
    legacyRulesPresent: false,
    notReproduced: [],
    ...over,
  };
}
