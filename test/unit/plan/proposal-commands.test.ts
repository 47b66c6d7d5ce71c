import { describe, expect, it } from 'vitest';
import { refuseNonChanges, topLevelCommands } from '../../../src/plan/proposal-commands.js';

describe('proposal commands', () => {
  it('finds the top-level commands with their lines, not words inside tables, strings or comments', () => {
    const text =
      '#!/usr/sbin/nft -f\n# list ruleset\ntable inet filter {\n  chain list { }\n  set monitor { type ipv4_addr; }\n}\nadd rule inet filter input meta mark 1 comment "reset"; insert rule inet filter input accept\ndefine X = 1\n';
    expect(topLevelCommands(text)).toEqual([
      { word: 'table', line: 3 },
      { word: 'add', line: 7 },
      { word: 'insert', line: 7 },
      { word: 'define', line: 8 },
    ]);
    expect(() => refuseNonChanges(text, 'p.nft')).not.toThrow();
  });

  it('reads as nft does: a string holding # or ; hides nothing, a continuation joins lines, a string ends at its line', () => {
    const text =
      'add rule inet f c accept comment "a#b"; list ruleset\nadd rule inet f c \\\n  accept comment "x;reset"\nadd rule inet f c comment "open\nmonitor\n';
    const found = topLevelCommands(text).map((c) => `${c.line}:${c.word}`);
    expect(found).toEqual(['1:add', '1:list', '2:add', '4:add', '5:monitor']);
  });

  it('refuses monitor, reset, list… naming the line and why', () => {
    for (const [text, word, line] of [
      ['table inet t { }\nmonitor\n', 'monitor', 2],
      ['add rule inet filter input accept; reset counters\n', 'reset', 1],
      ['\n\nlist ruleset\n', 'list', 3],
    ] as const) {
      expect(() => refuseNonChanges(text, 'p.nft')).toThrow(
        expect.objectContaining({
          code: 'PROPOSAL_NOT_A_CHANGE',
          exitCode: 9,
          message: expect.stringContaining(`\`${word}\` on line ${line}`),
        }),
      );
    }
  });
});
