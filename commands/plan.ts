import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { formatFlags, iptablesOptions } from '../src/cli/format-flags.js';
import { adminAddressFlag, flowsFlags, flowsOption } from '../src/cli/flags.js';
import type { PlanResultT } from '../src/contracts/plan.js';

export default class PlanCommand extends BaseCommand {
  static summary =
    'Stage a proposed change (nft script or iptables-restore input): kernel-validated in a scratch namespace, with diff, live counters at risk and findings.';
  static examples = [
    '<%= config.bin %> --netns lab-server plan rulesets/web-open-443.nft',
    '<%= config.bin %> plan change.nft --out plan.json --detailed-exitcode',
    '<%= config.bin %> plan change.nft --against 12 --markdown',
    '<%= config.bin %> plan /etc/iptables/rules.v4 /etc/iptables/rules.v6',
  ];
  static args = {
    file: Args.string({
      description:
        'The proposal: an nft script (table blocks or add/insert/delete commands) or iptables-restore input (*filter … COMMIT).',
      required: true,
    }),
    file2: Args.string({
      description:
        'A second iptables-restore file of the other family (rules.v4 rules.v6): both are planned as one change.',
    }),
  };
  static flags = {
    out: Flags.string({ description: 'Write the plan (JSON) to this file, for `fwsafe apply --plan`.' }),
    markdown: Flags.boolean({ description: 'Render the plan as Markdown (for a pull-request comment).' }),
    'detailed-exitcode': Flags.boolean({
      description:
        'Exit 0 when the plan changes nothing, 2 when it has changes and nothing blocking, 5 when a finding blocks it (for CI gates).',
    }),
    'no-probes': Flags.boolean({ description: 'Skip the real-packet lockout probes (rule analysis still runs).' }),
    'must-allow': Flags.string({
      description: 'A flow that must stay allowed, probed with real packets: "tcp/443", "tcp/5432 from 10.0.0.0/8".',
      multiple: true,
    }),
    'must-deny': Flags.string({
      description: 'A flow that must stay denied: "tcp/23", "tcp/3306 from 203.0.113.0/24".',
      multiple: true,
    }),
    ...flowsFlags,
    'admin-address': adminAddressFlag,
    against: Flags.string({
      description:
        'Plan against a stored version (id, latest, -N) or a saved base instead of the live ruleset: an export (fwsafe export), an nft listing, or iptables-save output for an iptables proposal.',
    }),
    ...formatFlags,
  };

  async run(): Promise<PlanResultT> {
    const { args, flags } = await this.parse(PlanCommand);
    const { createPlan, writePlanFile, checkPlanOutPath, planExitCode } = await import('../src/plan/create-plan.js');
    if (flags.out) checkPlanOutPath(flags.out);
    const plan = await createPlan({
      netns: this.checkNetns(flags.netns),
      proposalPath: args.file,
      pairWith: args.file2 ?? null,
      against: flags.against,
      stateDir: flags['state-dir'],
      adminAddresses: flags['admin-address'],
      probes: { enabled: !flags['no-probes'], mustAllow: flags['must-allow'], mustDeny: flags['must-deny'] },
      flows: flowsOption(flags),
      iptables: iptablesOptions(flags),
    });
    if (flags.out) writePlanFile(flags.out, plan);
    if (!this.jsonEnabled()) {
      const { renderPlan } = await import('../src/plan/render.js');
      const colour = this.colour && !flags.markdown;
      const text = renderPlan(plan, { colour, width: process.stdout.columns || 80, markdown: flags.markdown });
      if (colour) this.logPainted(text);
      else this.log(text);
      // Markdown on stdout is a PR comment as it is: the note goes to stderr there.
      const written = `Plan written to ${flags.out}; apply it with: fwsafe apply --plan ${flags.out}`;
      if (flags.out) flags.markdown ? this.note(written) : this.log(`\n${written}`);
    }
    if (flags['detailed-exitcode']) process.exitCode = planExitCode(plan);
    return plan;
  }
}
