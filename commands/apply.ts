import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { BaseCommand } from '../src/cli/base-command.js';
import { packageRoot } from '../src/cli/install-check.js';
import { CancelledError, UserError } from '../src/errors.js';
import type { ApplyResultT } from '../src/contracts/apply.js';
import type { PlanT } from '../src/plan/schema.js';
import type { AppliedChange } from '../src/apply/apply-change.js';

export default class Apply extends BaseCommand {
  static summary = 'Apply a change under a dead-man switch: rolled back at the deadline unless confirmed.';
  static examples = ['<%= config.bin %> apply new.nft --timeout 60', '<%= config.bin %> apply --plan plan.json --no-wait --json'];
  static args = { file: Args.string({ description: 'Proposal: an nft script.' }) };
  static flags = {
    plan: Flags.string({ description: 'Apply a saved plan (fwsafe plan --json) instead of planning FILE; refused if the live ruleset drifted.' }),
    timeout: Flags.integer({ description: 'Seconds until the automatic rollback.', default: 120, min: 2, max: 86_400 }),
    'no-wait': Flags.boolean({ description: 'Return at once; confirm later with `fwsafe confirm` from a NEW session.' }),
    yes: Flags.boolean({ char: 'y', description: 'Skip the "apply these changes?" question.' }),
    force: Flags.boolean({ description: 'Apply despite blocking findings.' }),
    'no-probes': Flags.boolean({ description: 'Skip the real-packet lockout probes while planning (rule analysis still runs).' }),
    persist: Flags.string({ description: 'On confirmation (never before), write the persistent nft file to this path.', exclusive: ['persist-default'] }),
    'persist-default': Flags.boolean({ description: 'On confirmation (never before), write /etc/nftables.conf.', exclusive: ['persist'] }),
    message: Flags.string({ char: 'm', description: 'Why this change.', default: '' }),
    'from-elsewhere': Flags.boolean({ description: 'Use a version or plan taken on another host or in another network namespace (refused otherwise, exit 15).' }),
  };

  async run(): Promise<ApplyResultT> {
    const { args, flags } = await this.parse(Apply);
    const { persistTarget } = await import('../src/apply/persist-target.js');
    const netns = this.checkNetns(flags.netns);
    if (!flags['no-wait'] && !this.isTty) {
      throw new UserError('No terminal to confirm on: nothing was applied.', { code: 'NEEDS_TTY', actions: ['Use --no-wait, then confirm with `fwsafe confirm` from a new session.'] });
    }
    if (!flags.plan === !args.file) throw new UserError('Give a proposal FILE or --plan PLAN.json (one of them).', { code: 'USAGE' });
    const { renderPlanSummary, applyResult, renderApplyResult } = await import('../src/apply/render.js');
    // Shows the plan; asks "apply?" on a terminal unless --yes. True when it asked.
    const review = async (plan: PlanT): Promise<boolean> => {
      for (const line of renderPlanSummary(plan)) this.note(line);
      if (!this.isTty || flags.yes || this.jsonEnabled()) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await new Promise<string>((resolve) => {
        rl.on('SIGINT', () => resolve(''));
        void rl.question(`Apply this change with a ${flags.timeout} s rollback window? [y/N] `).then(resolve, () => resolve(''));
      });
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError('Not applied.');
      return true;
    };
    const common = { netns, stateDir: flags['state-dir'], timeoutSec: flags.timeout, force: flags.force, persistPath: persistTarget(flags.persist, flags['persist-default']), message: flags.message, bin: join(packageRoot(), 'bin', 'run.js') };
    let plan: PlanT;
    let applied: AppliedChange;
    if (flags.plan) {
      const { loadPlanFile } = await import('../src/plan/plan-file.js');
      const { applyChange } = await import('../src/apply/apply-change.js');
      plan = loadPlanFile(flags.plan);
      await review(plan);
      applied = await applyChange({ ...common, plan, fromElsewhere: flags['from-elsewhere'] });
    } else {
      const { planAndApply } = await import('../src/apply/plan-and-apply.js');
      ({ plan, applied } = await planAndApply({ ...common, proposalPath: args.file!, probes: !flags['no-probes'], review }));
    }
    let outcome = null;
    if (!flags['no-wait']) {
      const { waitAtTerminal } = await import('../src/apply/terminal-wait.js');
      const changed = plan.diff.rules.filter((r) => r.kind !== 'removed').map((r) => r.text);
      outcome = await waitAtTerminal({ stateDir: flags['state-dir'], pending: applied.pending, changedRuleTexts: changed, io: { input: process.stdin, output: process.stderr } });
    }
    const result = applyResult(applied, outcome);
    for (const line of renderApplyResult(result)) this.say(line);
    if (result.state !== 'confirmed' && result.state !== 'pending') process.exitCode = 3;
    return result;
  }
}
