import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, fwsafe } from '../helpers/cli.js';
import { createNetns, deleteNetns, isRoot, loadRuleset } from '../helpers/netns.js';
import { PLAN_FIXTURE_BASES, PLAN_FIXTURE_CASES, normalisePlanJson } from '../helpers/plan-fixture.js';

// Refactors must not change a plan: the plan JSON of the example rulesets is compared byte for byte
// (after normalisePlanJson) with the fixtures. Regenerate them only for an intended change in the plan:
//   FWSAFE_UPDATE_FIXTURES=1 npx vitest run test/integration/plan-fixtures.test.ts
const DIR = join(ROOT, 'test', 'fixtures', 'plan-json');
const UPDATE = process.env.FWSAFE_UPDATE_FIXTURES === '1';
const basePath = (name: string): string => join(DIR, 'bases', `${name}.export.json`);
// Only what the plan reads from the environment is fixed; nothing of the caller's SSH session leaks in.
const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1', SSH_CONNECTION: '' };

function exportBase(name: string, ruleset: string | null): void {
  const ns = createNetns('planfix');
  try {
    if (ruleset) loadRuleset(ns, readFileSync(join(ROOT, 'rulesets', ruleset), 'utf8'));
    mkdirSync(join(DIR, 'bases'), { recursive: true });
    const r = fwsafe(['--netns', ns, 'export', '--out', basePath(name), '--json']);
    expect(r.status, r.stderr).toBe(0);
    chmodSync(basePath(name), 0o644);
  } finally {
    deleteNetns(ns);
  }
}

describe.skipIf(!isRoot)('plan JSON of the example rulesets (test/fixtures/plan-json)', () => {
  if (UPDATE) for (const [name, ruleset] of Object.entries(PLAN_FIXTURE_BASES)) exportBase(name, ruleset);

  it.each(PLAN_FIXTURE_CASES)(
    '$name: $ruleset against the $base export is byte-identical',
    ({ name, ruleset, base }) => {
      const r = fwsafe(['plan', join(ROOT, 'rulesets', ruleset), '--against', basePath(base), '--json'], { env });
      expect(r.status, r.stderr).toBe(0);
      const got = normalisePlanJson(r.stdout);
      const fixture = join(DIR, `${name}.plan.json`);
      if (UPDATE || !existsSync(fixture)) {
        expect(UPDATE, `no fixture ${fixture}: run with FWSAFE_UPDATE_FIXTURES=1`).toBe(true);
        writeFileSync(fixture, got);
      }
      expect(got).toBe(readFileSync(fixture, 'utf8'));
    },
  );

  it('the normaliser replaces only the timestamp and the repository path', () => {
    const text =
      '{\n  "version": 1,\n  "createdAt": "2026-01-01T00:00:00.000Z",\n  "x": "/r/a.nft",\n  "y": "2026"\n}\n';
    expect(normalisePlanJson(text, '/r')).toBe(
      '{\n  "version": 1,\n  "createdAt": "<createdAt>",\n  "x": "<root>/a.nft",\n  "y": "2026"\n}\n',
    );
  });
});
