import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROOT, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { isRoot, liveRuleset, loadRuleset, useNetns } from '../helpers/netns.js';
import { killWatchdog } from '../e2e/state-probe.js';

const ruleset = (name: string): string => join(ROOT, 'rulesets', name);

// Every command with --json, one after the other on one namespace and one history, each output parsed with its
// contract (src/contracts/NAME.ts): the lab commands are in lab.test.ts (lab-demo: test/unit/contracts).
describe.skipIf(!isRoot)('every command --json matches its contract', () => {
  const ns = useNetns('contracts');
  const state = useStateDir();
  const checked = new Set<string>();
  const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);
  const ok = async (contract: string, args: string[], exit = 0) => {
    const r = cli(...args, '--json');
    expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(exit);
    await expectContract(contract, r.json);
    checked.add(contract);
    return r.json;
  };
  afterEach(() => killWatchdog(state.path));
  afterAll(() => {
    // What this file checks; a contract added without a check here fails the list below.
    expect([...checked].sort()).toEqual([
      'apply',
      'confirm',
      'detect',
      'diff',
      'error',
      'export',
      'extend',
      'flows',
      'log',
      'plan',
      'recover',
      'rollback',
      'show',
      'snapshot',
      'status',
    ]);
  });

  it('history, plan, apply, extend, confirm, every rollback mode, recover, errors', async () => {
    loadRuleset(ns.name, readFileSync(ruleset('baseline.nft'), 'utf8'));
    await ok('detect', ['detect']);
    const snap = await ok('snapshot', ['snapshot', '-m', 'contracts']);
    expect(snap.version.id).toBe(1);
    expect((await ok('status', ['status'])).pending).toBeNull();
    await ok('log', ['log']);
    await ok('show', ['show', '1']);
    expect((await ok('diff', ['diff', '1'])).identical).toBe(true);
    expect((await ok('export', ['export'])).format).toBe('fwsafe-export');
    const out = join(state.path, 'base.json');
    expect((await ok('export', ['export', '--out', out])).out).toBe(out);
    await ok('flows', ['flows']);
    const plan = await ok('plan', ['plan', ruleset('web-open-443.nft'), '--no-probes']);
    expect(plan.diff.summary.rulesAdded).toBe(1);

    const applied = await ok('apply', [
      'apply',
      ruleset('web-open-443.nft'),
      '--no-probes',
      '--no-wait',
      '--timeout',
      '120',
    ]);
    expect(applied.state).toBe('pending');
    const pending = await ok('status', ['status']);
    expect(pending.pending.changeId).toBe(applied.changeId);
    expect((await ok('extend', ['extend', '300'])).changeId).toBe(applied.changeId);
    expect((await ok('confirm', ['confirm'])).changeId).toBe(applied.changeId);
    expect(liveRuleset(ns.name)).toContain('tcp dport { 80, 443 }');

    // With VERSION: the baseline restored under a new window; then that pending restore undone.
    const restore = await ok('rollback', ['rollback', '1', '--no-probes', '--no-wait', '--timeout', '120']);
    expect(restore.mode).toBe('version');
    expect(liveRuleset(ns.name)).not.toContain('tcp dport { 80, 443 }');
    expect((await ok('rollback', ['rollback'])).mode).toBe('pending');
    expect(liveRuleset(ns.name)).toContain('tcp dport { 80, 443 }');
    // The tables already match the applied version: nothing to restore.
    expect((await ok('rollback', ['rollback', String(applied.versionId), '--no-wait'])).mode).toBe('nothing');
    expect((await ok('recover', ['recover'])).found).toBe('nothing');

    expect((await ok('error', ['show', '999'], 11)).error.code).toBe('VERSION_NOT_FOUND');
    expect((await ok('error', ['rollback'], 11)).error.code).toBe('NO_PENDING_CHANGE');
    expect((await ok('error', ['extend', 'soon'], 9)).error.code).toBe('USAGE');
  });
});
