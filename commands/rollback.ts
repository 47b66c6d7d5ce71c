import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { UserError } from '../src/errors.js';

export default class Rollback extends BaseCommand {
  static summary = 'Roll the pending change back now; or with VERSION, bring back a stored version under a new confirmation window.';
  static examples = ['<%= config.bin %> rollback', '<%= config.bin %> rollback 12 --no-wait --timeout 60'];
  static args = { version: Args.string({ description: 'A version from fwsafe log (number, latest, -N).' }) };
  static flags = {
    timeout: Flags.integer({ description: 'With VERSION: seconds until the automatic rollback of the restore.', default: 120, min: 2 }),
    'no-wait': Flags.boolean({ description: 'With VERSION: return at once; confirm from a new session.' }),
    'from-elsewhere': Flags.boolean({ description: 'Use a version or plan taken on another host or in another network namespace (refused otherwise, exit 15).' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Rollback);
    if (args.version === undefined) {
      const { rollbackPending, noPendingChange, busyError } = await import('../src/apply/resolve.js');
      const r = await rollbackPending({ stateDir: flags['state-dir'], reason: 'manual' });
      if (r.status === 'none') throw noPendingChange();
      if (r.status === 'busy') throw busyError(r.changeId);
      const { rollbackLines } = await import('../src/apply/status-lines.js');
      for (const line of rollbackLines(r, `Change ${r.changeId} (version ${r.versionId})`)) this.say(line);
      if (r.status !== 'rolled-back') process.exitCode = 1;
      return { mode: 'pending', result: r };
    }
    const netns = this.checkNetns(flags.netns);
    if (!flags['no-wait'] && !this.isTty) throw new UserError('No terminal to confirm on: nothing was applied.', { code: 'NEEDS_TTY', actions: ['Use --no-wait, then confirm from a new session.'] });
    const { planRestore } = await import('../src/apply/restore-plan.js');
    const { plan, versionId, skipped } = await planRestore({ netns, stateDir: flags['state-dir'], version: args.version, fromElsewhere: flags['from-elsewhere'] });
    if (skipped.length > 0) this.note(`Not restored (iptables-nft tables; use iptables-nft-restore): ${skipped.join(', ')}`);
    const { applyChange } = await import('../src/apply/apply-change.js');
    const { applyResult, renderApplyResult } = await import('../src/apply/render.js');
    const applied = await applyChange({ netns, stateDir: flags['state-dir'], plan, timeoutSec: flags.timeout, force: false, persistPath: null, message: `restore version ${versionId}`, bin: process.argv[1] ?? 'fwsafe', kind: 'restore' });
    let outcome = null;
    if (!flags['no-wait']) {
      const { waitAtTerminal } = await import('../src/apply/terminal-wait.js');
      outcome = await waitAtTerminal({ stateDir: flags['state-dir'], pending: applied.pending, changedRuleTexts: [], io: { input: process.stdin, output: process.stderr } });
    }
    const apply = applyResult(applied, outcome);
    for (const line of renderApplyResult(apply)) this.say(line);
    if (apply.state !== 'confirmed' && apply.state !== 'pending') process.exitCode = 3;
    return { mode: 'version', restoredVersion: versionId, apply };
  }
}
