import { describe, expect, it } from 'vitest';
import { proposalScope } from '../../../src/plan/proposal-scope.js';

describe('proposalScope', () => {
  it('a scoped replacement depends on no live table', () => {
    expect(proposalScope('table inet f\ndelete table inet f\ntable inet f { chain c { } }\n')).toEqual({
      kind: 'tables',
      needed: [],
      replaced: ['inet f'],
      mustExist: [],
    });
  });

  it('a delete that comes first needs the table to exist', () => {
    expect(proposalScope('delete table ip nat\ntable ip nat { }\n')).toEqual({
      kind: 'tables',
      needed: [],
      replaced: ['ip nat'],
      mustExist: ['ip nat'],
    });
  });

  it('imperative edits and table blocks build on the live table (default family ip)', () => {
    const scope = proposalScope(
      'add rule inet f input tcp dport 22 accept\ntable filter { chain x { } }\nadd element inet g blocklist { 10.0.0.1 }\nadd ct helper inet h ftp { type "ftp" protocol tcp; }\n',
    );
    expect(scope).toEqual({
      kind: 'tables',
      needed: ['inet f', 'inet g', 'inet h', 'ip filter'],
      replaced: [],
      mustExist: [],
    });
  });

  it('anything done to a table before its delete makes it needed', () => {
    expect(proposalScope('flush table inet f\ndelete table inet f\n')).toMatchObject({
      needed: ['inet f'],
      replaced: [],
    });
    expect(proposalScope('table inet f { chain c { } }\ndelete table inet f\n')).toMatchObject({
      needed: ['inet f'],
      replaced: [],
    });
  });

  it('falls back to the whole ruleset when it cannot tell', () => {
    expect(proposalScope('flush ruleset\ntable inet f { }\n')).toMatchObject({ kind: 'all' });
    expect(proposalScope('include "/etc/nftables.d/x.nft"\n')).toMatchObject({ kind: 'all' });
    expect(proposalScope('define T = f\nadd rule inet $T input accept\n')).toMatchObject({ kind: 'all' });
    expect(proposalScope('frobnicate table inet f\n')).toMatchObject({ kind: 'all' });
  });

  it('quoted names and defines do not confuse it', () => {
    expect(
      proposalScope('define P = 22\ntable inet "my-fw"\ndelete table inet "my-fw"\ntable inet "my-fw" { }\n'),
    ).toMatchObject({ replaced: ['inet my-fw'] });
  });
});
