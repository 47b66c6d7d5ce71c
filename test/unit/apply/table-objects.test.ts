import { describe, expect, it } from 'vitest';
import { tableObjects } from '../../../src/apply/table-objects.js';
import { splitTables } from '../../../src/ruleset/text.js';

// A chain binding as `nft -a list` prints it (over several lines, the handle on the closing brace):
// one rule for the inverse rollback, its text in the form `add rule` reads back (issue 22).
const TABLE = [
  'table inet cb { # handle 1',
  '\tchain input { # handle 1',
  '\t\ttype filter hook input priority filter; policy accept;',
  '\t\tmeta l4proto { tcp, udp } th dport 54 jump {',
  '\t\t\tip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept',
  '\t\t\tcounter packets 4 bytes 240 drop',
  '\t\t} # handle 12',
  '\t\ttcp dport 22 accept # handle 13',
  '\t}',
  '}',
].join('\n');

describe('tableObjects over chain bindings', () => {
  it('reads a multi-line binding as one rule with its handle', () => {
    const chain = tableObjects(splitTables(TABLE)[0]!).chains.get('input')!;
    expect(chain.extra).toEqual([]);
    expect(chain.rules.map((r) => [r.handle, r.raw])).toEqual([
      [
        12,
        'meta l4proto { tcp, udp } th dport 54 jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept; counter packets 4 bytes 240 drop; }',
      ],
      [13, 'tcp dport 22 accept'],
    ]);
    expect(chain.rules[0]!.key).toBe(
      'meta l4proto { tcp, udp } th dport 54 jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept; counter drop; }',
    );
  });
});

describe('inverseDelta over a removed chain binding', () => {
  it('restores the table whole, saying why (nft 1.0.6 segfaults on `insert rule … position N` with a binding)', async () => {
    const { inverseDelta } = await import('../../../src/apply/inverse.js');
    const after = TABLE.replace(/\t\tmeta l4proto[\s\S]*?# handle 12\n/, '');
    const d = inverseDelta(TABLE, after, [{ family: 'inet', name: 'cb' }]);
    expect(d.wholeTables).toEqual([
      expect.stringMatching(/^inet cb: a rule it removed from chain input holds a chain binding/),
    ]);
    expect(d.nftScript).not.toMatch(/position/);
  });
});
