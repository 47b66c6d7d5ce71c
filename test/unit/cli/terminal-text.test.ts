import { describe, expect, it } from 'vitest';
import { escapeControl, escapeStrings } from '../../../src/cli/terminal-text.js';
import { colourDiff, paint } from '../../../src/cli/colour.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { PlanT } from '../../../src/plan/schema.js';

const ESC = '\u001b';
// Our own colours are the only escape sequences allowed in coloured output.
const OUR_SGR = /\u001b\[(31|32|36|1|0)m/g;
const foreign = (s: string): boolean => s.replace(OUR_SGR, '').includes(ESC);

describe('escapeControl', () => {
  it('shows ESC as \\x1b, CR, DEL, C1 and bidi overrides as codes; keeps newline and tab; idempotent', () => {
    expect(escapeControl(`a${ESC}[2Kb`)).toBe('a\\x1b[2Kb');
    expect(escapeControl('x\ry\u007f\u009b\u202eé ✓\n\tz')).toBe('x\\x0dy\\x7f\\x9b\\u202eé ✓\n\tz');
    const once = escapeControl(`${ESC}]0;title\u0007`);
    expect(escapeControl(once)).toBe(once);
    expect(escapeStrings({ a: [`${ESC}x`], n: 3, z: null })).toEqual({ a: ['\\x1bx'], n: 3, z: null });
  });

  it('coloured output holds no escape sequence but our colours, whatever the data', () => {
    const evil = `tcp dport 22 accept comment "ok${ESC}[2K${ESC}[1A"`;
    expect(foreign(colourDiff(`--- a\n+++ b\n-${evil}\n+x\n`))).toBe(false);
    expect(foreign(paint.red(evil))).toBe(false);
    const plan = {
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      netns: null,
      base: { hash: 'a'.repeat(64), source: 'live', ref: null },
      proposal: { path: `/tmp/p${ESC}[2J.nft`, sha256: 'a'.repeat(64), text: '' },
      result: { hash: 'a'.repeat(64), touchedText: '' },
      touchedTables: [
        { family: 'inet', name: 'filter', existedBefore: true, existsAfter: true, owner: null, iptablesNft: false },
      ],
      diff: {
        summary: {
          tablesAdded: 0,
          tablesRemoved: 0,
          tablesChanged: 1,
          chainsAdded: 0,
          chainsRemoved: 0,
          chainsChanged: 0,
          rulesAdded: 1,
          rulesRemoved: 1,
          rulesChanged: 0,
          setsChanged: 0,
        },
        tables: [],
        chains: [],
        rules: [],
        sets: [],
        unified: `--- live\n+++ proposed\n-${evil}\n+x\n`,
      },
      counters: [
        {
          kind: 'removed-rule',
          table: 'inet filter',
          chain: 'input',
          text: evil,
          packets: 5,
          bytes: 300,
          hasCounter: true,
        },
      ],
      findings: [{ code: 'X', severity: 'error', message: `m${ESC}[8m`, fix: 'f', location: null }],
      rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    } as unknown as PlanT;
    // Without colour the text is escaped by BaseCommand.log (tested through the CLI); with colour it must already be.
    const text = renderPlan(plan, { colour: true, width: 100, markdown: false });
    expect(text).toContain('\\x1b[2K');
    expect(foreign(text)).toBe(false);
  });
});
