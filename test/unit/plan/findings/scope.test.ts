import { describe, expect, it } from 'vitest';
import type { FindingContext } from '../../../../src/plan/findings/context.js';
import { scope } from '../../../../src/plan/findings/scope.js';

const codes = (proposalText: string): string[] =>
  scope({
    base: { tables: [] },
    result: { tables: [] },
    touched: [],
    proposalText,
    sshPorts: [22],
    ssh: null,
    legacyRulesPresent: false,
    notReproduced: [],
  } satisfies FindingContext).map((f) => f.code);

describe('FLUSH_RULESET', () => {
  it('is a top-level statement wherever it starts (a line, after a ;), never a comment or a string', () => {
    expect(codes('flush ruleset\n')).toEqual(['FLUSH_RULESET']);
    expect(codes('table inet f { }; flush ruleset\n')).toEqual(['FLUSH_RULESET']);
    expect(codes('  flush \\\n ruleset\n')).toEqual(['FLUSH_RULESET']);
    expect(codes('# flush ruleset\nadd rule inet f c accept comment "flush ruleset"\nflush table inet f\n')).toEqual(
      [],
    );
  });
});
