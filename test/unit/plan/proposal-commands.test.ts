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
