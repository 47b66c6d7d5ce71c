import { ROOT } from './cli.js';

/**
 * The plan-JSON fixtures (test/fixtures/plan-json/): `fwsafe plan RULESET --against BASE --json` of every
 * example ruleset in rulesets/, against a stored export. A plan made against a file depends on nothing of
 * the host but the nft binary, so its JSON is the same from run to run except for what this normaliser
 * replaces, and only that:
 * - the top-level `"createdAt"` timestamp → `"<createdAt>"`;
 * - the repository's absolute path (in proposal.path, base.ref and the unified diff's header) → `<root>`.
 * Everything else (diff, findings and their probe results, rollback script, hashes) is compared byte for byte.
 */
export function normalisePlanJson(stdout: string, root = ROOT): string {
  return stdout
    .replace(/^ {2}"createdAt": "[^"\n]*"/m, '  "createdAt": "<createdAt>"')
    .split(root)
    .join('<root>');
}

/** A fixture case: a ruleset of rulesets/ planned against a stored export (bases/NAME.export.json). */
export interface PlanFixtureCase {
  name: string;
  ruleset: string;
  base: string;
}

/** Bases: the live ruleset of a namespace as `fwsafe export` wrote it (regenerated with FWSAFE_UPDATE_FIXTURES=1). */
export const PLAN_FIXTURE_BASES: Record<string, string | null> = {
  // A fresh host: nothing loaded.
  empty: null,
  // A server running rulesets/baseline.nft, which the other examples change.
  baseline: 'baseline.nft',
};

export const PLAN_FIXTURE_CASES: PlanFixtureCase[] = [
  { name: 'baseline-on-empty', ruleset: 'baseline.nft', base: 'empty' },
  { name: 'baseline-on-baseline', ruleset: 'baseline.nft', base: 'baseline' },
  { name: 'dual-stack', ruleset: 'dual-stack.nft', base: 'baseline' },
  { name: 'imperative-example', ruleset: 'imperative-example.nft', base: 'baseline' },
  { name: 'lockout-demo', ruleset: 'lockout-demo.nft', base: 'baseline' },
  { name: 'web-open-443', ruleset: 'web-open-443.nft', base: 'baseline' },
];
