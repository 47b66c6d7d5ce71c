import { describe, expect, it } from 'vitest';
import { scope } from '../../../../src/plan/findings/scope.js';
import { findingContext } from '../../../helpers/finding-context.js';

const codes = (proposalText: string): string[] => scope(findingContext({ proposalText })).map((f) => f.code);

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
