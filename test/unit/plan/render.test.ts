import { describe, expect, it } from 'vitest';
import { renderPlan, renderSummary, wrap } from '../../../src/plan/render.js';
import type { PlanT } from '../../../src/plan/schema.js';

const H = 'a'.repeat(64);
const plan: PlanT = {
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  netns: null,
  base: { hash: H, source: 'live', ref: null },
  proposal: { path: '/srv/firewall/changes/2026-01-01-tighten-input.nft', sha256: H, text: '' },
  result: { hash: H, touchedText: '' },
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
      chainsChanged: 1,
      rulesAdded: 1,
      rulesRemoved: 2,
      rulesChanged: 0,
      setsChanged: 1,
    },
    tables: [{ kind: 'changed', table: 'inet filter' }],
    chains: [{ kind: 'changed', table: 'inet filter', chain: 'input', details: ['policy accept → drop'] }],
    rules: [],
    sets: [
      {
        kind: 'changed',
        table: 'inet filter',
        set: 'block',
        elementsAdded: 3000,
        elementsRemoved: 1,
        sampleAdded: ['198.51.100.0/24', '203.0.113.7'],
        sampleRemoved: ['10.0.0.1'],
      },
    ],
    unified: '--- live\n+++ proposed\n@@ -1 +1 @@\n-a\n+b\n',
  },
  counters: [
    {
      kind: 'removed-rule',
      table: 'inet filter',
      chain: 'input',
      text: 'tcp dport 22 counter accept',
      packets: 123456,
      bytes: 9_000_000,
      hasCounter: true,
    },
    {
      kind: 'removed-rule',
      table: 'inet filter',
      chain: 'input',
      text: 'tcp dport 8080 accept',
      packets: null,
      bytes: null,
      hasCounter: false,
    },
    {
      kind: 'policy',
      table: 'inet filter',
      chain: 'input',
      text: 'policy accept → drop',
      packets: null,
      bytes: null,
      hasCounter: false,
    },
  ],
  findings: [
    {
      code: 'SSH_NEW_LOGIN_BLOCKED',
      severity: 'error',
      message:
        'After this change a new SSH login to port 22 over IPv4 would be dropped, decided by inet filter input: policy drop.',
      fix: 'Accept it before any drop, e.g. `tcp dport 22 accept` (scoped to your admin addresses if you like) in the input chain.',
      location: null,
    },
  ],
  rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
};

describe('renderPlan', () => {
  it('summary first; everything but the diff fits 80 columns; busy removed rules are marked', () => {
    const text = renderPlan(plan, { colour: false, width: 80, markdown: false });
    const lines = text.split('\n');
    expect(lines.slice(0, 7).join('\n')).toContain('Tables touched: inet filter');
    const diffAt = lines.findIndex((l) => l.startsWith('Diff'));
    expect(lines.slice(0, diffAt).filter((l) => l.length > 80)).toEqual([]);
    expect(text).toContain('Traffic at risk: 123k packets through 2 removed/changed rules (1 with traffic)');
    expect(lines.find((l) => l.includes('tcp dport 22 counter accept'))).toMatch(/^!\s+123k/);
    expect(lines.find((l) => l.includes('tcp dport 8080'))).toMatch(/^ no counter/);
    expect(text).toContain('changed inet filter/block: +3000 −1 (e.g. +198.51.100.0/24, +203.0.113.7');
    expect(text).toMatch(/\[ERROR\] SSH_NEW_LOGIN_BLOCKED: After this change/);
  });
  it('markdown for a pull request: a table of counters and a diff block', () => {
    const md = renderPlan(plan, { colour: false, width: 80, markdown: true });
    expect(md).toContain('- **[ERROR] SSH_NEW_LOGIN_BLOCKED**');
    expect(md).toContain('| ⚠️ | 123k |');
    expect(md).toContain('```diff\n--- live');
  });
  it('a no-op plan says so first', () => {
    expect(renderSummary({ ...plan, touchedTables: [] })[0]).toBe(
      'No changes: the proposal leaves the ruleset as it is.',
    );
  });
  it('wrap keeps words whole and indents continuation lines', () => {
    expect(wrap('aaa bbb ccc ddd', 8, '  ')).toEqual(['aaa bbb', '  ccc', '  ddd']);
    expect(wrap('see /a/very/long/path/name', 10, '  ')).toEqual(['see', '  /a/very/long/path/name']);
  });
});

describe('renderPlan: a large diff', () => {
  it('is cut after 200 lines in a terminal (500 in markdown), saying where the rest is', () => {
    const unified = `${['--- live', '+++ proposed', '@@ -0,0 +1,1000 @@', ...Array.from({ length: 1000 }, (_, i) => `+\t\ttcp dport ${i + 1} accept`)].join('\n')}\n`;
    const big = { ...plan, diff: { ...plan.diff, unified } };
    const text = renderPlan(big, { colour: false, width: 80, markdown: false });
    expect(text).toContain('+\t\ttcp dport 197 accept');
    expect(text).not.toContain('+\t\ttcp dport 198 accept');
    expect(text).toMatch(/… 803 more diff lines: the whole diff is `diff.unified` in --json \/ --out\.$/);
    expect(renderPlan(big, { colour: false, width: 80, markdown: true })).toContain('… 503 more diff lines');
  });
});
