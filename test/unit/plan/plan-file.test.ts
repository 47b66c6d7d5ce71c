import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPlanOutPath, loadPlanFile, writePlanFile } from '../../../src/plan/plan-file.js';
import type { PlanT } from '../../../src/plan/schema.js';

const H = 'b'.repeat(64);
const PLAN: PlanT = {
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  netns: 'lab-server',
  base: { hash: H, source: 'live', ref: null },
  proposal: { path: '/tmp/p.nft', sha256: H, text: 'add rule inet filter input tcp dport 443 accept\n' },
  result: { hash: H, touchedText: 'table inet filter {\n}\n' },
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
      rulesRemoved: 0,
      rulesChanged: 0,
      setsChanged: 0,
    },
    tables: [{ kind: 'changed', table: 'inet filter' }],
    chains: [],
    rules: [
      { kind: 'added', table: 'inet filter', chain: 'input', text: 'tcp dport 443 accept', oldText: null, position: 3 },
    ],
    sets: [],
    unified: '',
  },
  counters: [],
  findings: [],
  rollback: { nftScript: 'table inet filter\ndelete table inet filter\n', iptablesNft: { v4: null, v6: null } },
};

describe('plan file', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-planfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written atomically, root-only (0600), and reads back identical', () => {
    const path = join(dir, 'plan.json');
    writePlanFile(path, PLAN);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadPlanFile(path)).toEqual(PLAN);
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('a file that is not JSON, not a plan, or a plan of another version is refused as BAD_PLAN saying where', () => {
    const bad = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expect(() => loadPlanFile(join(dir, 'missing.json'))).toThrow(
      expect.objectContaining({ code: 'BAD_PLAN', exitCode: 9 }),
    );
    expect(() => loadPlanFile(bad('a.json', '{ not json'))).toThrow(expect.objectContaining({ code: 'BAD_PLAN' }));
    const { rollback: _, ...noRollback } = PLAN;
    expect(() => loadPlanFile(bad('b.json', JSON.stringify(noRollback)))).toThrow(
      expect.objectContaining({ code: 'BAD_PLAN', message: expect.stringContaining('rollback') }),
    );
    expect(() => loadPlanFile(bad('c.json', JSON.stringify({ ...PLAN, version: 2 })))).toThrow(
      expect.objectContaining({ code: 'BAD_PLAN', message: expect.stringContaining('version') }),
    );
    expect(() => loadPlanFile(bad('d.json', JSON.stringify({ ...PLAN, base: { ...PLAN.base, hash: 'xyz' } })))).toThrow(
      expect.objectContaining({ message: expect.stringContaining('base.hash') }),
    );
  });

  it('an --out path in a missing directory, or naming a directory, is refused before planning (PLAN_OUT_UNWRITABLE)', () => {
    expect(() => checkPlanOutPath(join(dir, 'nope', 'p.json'))).toThrow(
      expect.objectContaining({
        code: 'PLAN_OUT_UNWRITABLE',
        exitCode: 9,
        message: expect.stringContaining('does not exist'),
      }),
    );
    expect(() => checkPlanOutPath(dir)).toThrow(
      expect.objectContaining({ code: 'PLAN_OUT_UNWRITABLE', message: expect.stringContaining('is a directory') }),
    );
    expect(() => writePlanFile(dir, PLAN)).toThrow(expect.objectContaining({ code: 'PLAN_OUT_UNWRITABLE' }));
    expect(() => checkPlanOutPath(join(dir, 'fine.json'))).not.toThrow();
  });
});
