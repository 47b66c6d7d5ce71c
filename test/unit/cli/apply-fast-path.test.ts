import { describe, expect, it } from 'vitest';
import { parseApplyArgs } from '../../../src/cli/apply-fast-path.js';

describe('apply --no-wait without oclif: only the plain form', () => {
  it('reads the flags scripts use, in any order, with oclif defaults', () => {
    expect(
      parseApplyArgs(['apply', 'p.nft', '--no-wait', '--yes', '--force', '--no-probes', '--timeout', '600', '--json']),
    ).toEqual({
      file: 'p.nft',
      json: true,
      yes: true,
      force: true,
      probes: false,
      timeout: 600,
      message: '',
      netns: undefined,
      stateDir: undefined,
    });
    const p = parseApplyArgs(['apply', '--no-wait', '-m', 'why', 'p.nft', '--netns=lab', '--state-dir', '/s', '-y']);
    expect(p).toMatchObject({ file: 'p.nft', message: 'why', netns: 'lab', stateDir: '/s', yes: true, timeout: 120 });
  });

  it('hands everything else to oclif', () => {
    expect(parseApplyArgs(['apply', 'p.nft'])).toBeNull(); // waits at a terminal
    expect(parseApplyArgs(['apply', '--plan', 'x.json', '--no-wait'])).toBeNull();
    expect(parseApplyArgs(['apply', 'p.nft', '--no-wait', '--persist', '/etc/nftables.conf'])).toBeNull();
    expect(parseApplyArgs(['apply', 'p.nft', '--no-wait', '--timeout', '1'])).toBeNull(); // oclif says min 2
    expect(parseApplyArgs(['apply', 'p.nft', '--no-wait', '--timeout', 'abc'])).toBeNull();
    expect(parseApplyArgs(['apply', 'p.nft', 'q.nft', '--no-wait'])).toBeNull();
    expect(parseApplyArgs(['apply', 'p.nft', '--no-wait', '--help'])).toBeNull();
    expect(parseApplyArgs(['apply', 'p.nft', '--no-wait', '--message'])).toBeNull();
    expect(parseApplyArgs(['plan', 'p.nft', '--no-wait'])).toBeNull();
  });
});
