import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from '../src/cli/base-command.js';
import { CancelledError, UserError } from '../src/errors.js';
import type { ApplyResultT } from '../src/contracts/apply.js';

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
    persist: Flags.string({ description: 'On confirmation (never before), write the persistent file (--persist alone: /etc/nftables.conf).' }),
    message: Flags.string({ char: 'm', description: 'Why this change.', default: '' }),
  };

  async run(): Promise<ApplyResultT> {
    const { DEFAULT_PERSIST_PATH } = await import('../src/apply/persist.js');
    // `--persist` alone means the default path (oclif has no optional flag values).
    this.argv = this.argv.map((a) => (a === '--persist' ? `--persist=${DEFAULT_PERSIST_PATH}` : a));
    const { args, flags } = await this.parse(Apply);
    const netns = this.checkNetns(flags.netns);
    if (!flags['no-wait'] && !this.isTty) {
      throw new UserError('No terminal to confirm on: nothing was applied.', { code: 'NEEDS_TTY', actions: ['Use --no-wait, then confirm with `fwsafe confirm` from a new session.'] });
    }
    if (!flags.plan === !args.file) throw new UserError('Give a proposal FILE or --plan PLAN.json (one of them).', { code: 'USAGE' });
    const { loadPlanFile, planProposal } = await import('../src/apply/plan-source.js');
    const plan = flags.plan ? loadPlanFile(flags.plan) : await planProposal({ netns, proposalPath: args.file!, stateDir: flags['state-dir'], probes: !flags['no-probes'] });
    const { renderPlanSummary, applyResult, renderApplyResult } = await import('../src/apply/render.js');
    for (const line of renderPlanSummary(plan)) this.note(line);
    if (this.isTty && !flags.yes && !this.jsonEnabled()) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      // Ctrl-C at the question means "no": readline would otherwise just pause.
      const answer = await new Promise<string>((resolve) => {
        rl.on('SIGINT', () => resolve(''));
        void rl.question(`Apply this change with a ${flags.timeout} s rollback window? [y/N] `).then(resolve, () => resolve(''));
      });
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError('Not applied.');
    }
    const { applyChange } = await import('../src/apply/apply-change.js');
    const applied = await applyChange({ netns, stateDir: flags['state-dir'], plan, timeoutSec: flags.timeout, force: flags.force, persistPath: flags.persist ?? null, message: flags.message, bin: process.argv[1] ?? 'fwsafe' });
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
