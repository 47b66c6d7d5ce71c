import { describe, expect, it } from 'vitest';
import { includes } from '../../../../src/plan/findings/includes.js';
import { findingContext } from '../../../helpers/finding-context.js';

const ctx = (proposalText: string) => findingContext({ proposalText });

describe('PROPOSAL_INCLUDES_FILES', () => {
  it('names a file whose name holds # whole (a # inside a string is not a comment)', () => {
    const [finding] = includes(ctx('include "/a#b.nft"\n'));
    expect(finding?.code).toBe('PROPOSAL_INCLUDES_FILES');
    expect(finding?.message).toContain('includes /a#b.nft.');
  });

  it('reads includes after a ; and inside blocks, not in comments', () => {
    const text = 'table inet f { include "/etc/in-table.nft" }; include "/etc/b.nft" # "/c.nft"\n# include "/d.nft"\n';
    expect(includes(ctx(text))[0]?.message).toContain('includes /etc/in-table.nft, /etc/b.nft.');
    expect(includes(ctx('# include "/d.nft"\nadd rule inet f c accept comment "include \\"/e.nft\\""\n'))).toEqual([]);
  });
});
