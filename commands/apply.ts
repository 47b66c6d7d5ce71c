import { Args, Flags } from '@oclif/core';
import { join } from 'node:path';
import { BaseCommand } from '../src/cli/base-command.js';
import { adminAddressFlag, flowsFlags, flowsOption } from '../src/cli/flags.js';
import { packageRoot } from '../src/cli/install-check.js';
import { formatFlags, iptablesOptions } from '../src/cli/format-flags.js';
import { BugError, UserError } from '../src/errors.js';
import type { ApplyResultT } from '../src/contracts/apply.js';

export default class Apply extends BaseCommand {
  static summary = 'Apply a change under a dead-man switch: rolled back at the deadline unless confirmed.';
  static examples = [
    '<%= config.bin %> apply new.nft --timeout 60',
    '<%= config.bin %> apply --plan plan.json --no-wait --json',
    '<%= config.bin %> apply rules.v4 rules.v6 --persist-default',
  ];
  static args = {
    file: Args.string({ description: 'Proposal: an nft script or iptables-restore input (*filter … COMMIT).' }),
    file2: Args.string({
      description:
        'A second iptables-restore file of the other family (rules.v4 rules.v6): one change, one rollback, one version.',
    }),
  };
  static flags = {
    plan: Flags.string({
      description:
        'Apply the proposal a saved plan records (fwsafe plan --out): verified, then planned again on this host; refused if the live ruleset drifted.',
    }),
    timeout: Flags.integer({ description: 'Seconds until the automatic rollback.', default: 120, min: 2, max: 86_400 }),
    'no-wait': Flags.boolean({
      description: 'Return at once; confirm later with `fwsafe confirm` from a NEW session.',
    }),
    yes: Flags.boolean({ char: 'y', description: 'Skip the "apply these changes?" question.' }),
    force: Flags.boolean({ description: 'Apply despite blocking findings.' }),
    'no-probes': Flags.boolean({ description: 'Skip the real-packet lockout probes (rule analysis still runs).' }),
    'admin-address': adminAddressFlag,
    ...flowsFlags,
    persist: Flags.string({
      description:
        'On confirmation (never before), write the persistent file (nft, or iptables-save for iptables proposals) to this path.',
      exclusive: ['persist-default'],
    }),
    'persist-default': Flags.boolean({
      description:
        'On confirmation (never before), write the file this host boots from: /etc/nftables.conf, or /etc/iptables/rules.v4|v6 (/etc/sysconfig/iptables|ip6tables) for iptables proposals.',
      exclusive: ['persist'],
    }),
    message: Flags.string({ char: 'm', description: 'Why this change.', default: '' }),
    ...formatFlags,
    'from-elsewhere': Flags.boolean({
      description:
        'Use a version or plan taken on another host or in another network namespace (refused otherwise, exit 15).',
    }),
  };

  async run(): Promise<ApplyResultT> {
    const { args, flags } = await this.parse(Apply);
    const { persistTarget } = await import('../src/apply/persist-target.js');
    const netns = this.checkNetns(flags.netns);
    if (!flags['no-wait'] && !this.isTty) {
      throw new UserError('No terminal to confirm on: nothing was applied.', {
        code: 'NEEDS_TTY',
        actions: ['Use --no-wait, then confirm with `fwsafe confirm` from a new session.'],
      });
    }
    if (!flags.plan === !args.file)
      throw new UserError('Give a proposal FILE or --plan PLAN.json (one of them).', { code: 'USAGE' });
    const { renderGated, applyResult, renderApplyResult } = await import('../src/apply/render.js');
    const { gateChange } = await import('../src/apply/gate.js');
    const { askApply } = await import('../src/cli/apply-question.js');
    const asking = this.isTty && !flags.yes && !this.jsonEnabled();
    const gate = await gateChange({
      source: flags.plan
        ? { kind: 'plan', path: flags.plan }
        : { kind: 'file', path: args.file!, pairWith: args.file2 ?? null },
      netns,
      stateDir: flags['state-dir'],
      timeoutSec: flags.timeout,
      force: flags.force,
      persistPath: persistTarget(flags.persist, flags['persist-default']),
      message: flags.message,
      bin: join(packageRoot(), 'bin', 'run.js'),
      probes: !flags['no-probes'],
      flows: flowsOption(flags),
      adminAddresses: flags['admin-address'],
      fromElsewhere: flags['from-elsewhere'],
      iptables: iptablesOptions(flags),
      show: (gated) => {
        for (const line of renderGated(gated)) this.note(line);
      },
      ask: async () => asking && askApply(`Apply this change with a ${flags.timeout} s rollback window? [y/N] `),
    });
    if (gate.status !== 'applied') throw new BugError('The gate returned no change for a proposal.');
    const { plan } = gate.gated;
    let outcome = null;
    if (!flags['no-wait']) {
      const { waitAtTerminal } = await import('../src/apply/terminal-wait.js');
      const changed = plan.diff.rules.filter((r) => r.kind !== 'removed').map((r) => r.text);
      outcome = await waitAtTerminal({
        stateDir: flags['state-dir'],
        pending: gate.applied.pending,
        changedRuleTexts: changed,
        io: { input: process.stdin, output: process.stderr },
      });
    }
    const result = applyResult(gate.applied, outcome);
    for (const line of renderApplyResult(result)) this.say(line);
    if (result.state !== 'confirmed' && result.state !== 'pending') process.exitCode = 3;
    return result;
  }
}
