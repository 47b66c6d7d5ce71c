import { Args, Flags } from '@oclif/core';
import { join } from 'node:path';
import { BaseCommand } from '../src/cli/base-command.js';
import { packageRoot } from '../src/cli/install-check.js';
import { adminAddressFlag } from '../src/cli/flags.js';
import { UserError } from '../src/errors.js';
import type { RollbackResultT } from '../src/contracts/rollback.js';

export default class Rollback extends BaseCommand {
  static summary =
    'Roll the pending change back now; or with VERSION, bring back a stored version through the same gate as apply, under a new confirmation window.';
  static examples = ['<%= config.bin %> rollback', '<%= config.bin %> rollback 12 --no-wait --timeout 60'];
  static args = { version: Args.string({ description: 'A version from fwsafe log (number, latest, -N).' }) };
  static flags = {
    timeout: Flags.integer({
      description: 'With VERSION: seconds until the automatic rollback of the restore.',
      default: 120,
      min: 2,
      max: 86_400,
    }),
    'no-wait': Flags.boolean({ description: 'With VERSION: return at once; confirm from a new session.' }),
    yes: Flags.boolean({ char: 'y', description: 'With VERSION: skip the "apply?" question.' }),
    force: Flags.boolean({ description: 'With VERSION: restore despite blocking findings.' }),
    'no-probes': Flags.boolean({ description: 'With VERSION: skip the real-packet lockout probes.' }),
    'admin-address': adminAddressFlag,
    'from-elsewhere': Flags.boolean({
      description:
        'Use a version or plan taken on another host or in another network namespace (refused otherwise, exit 15).',
    }),
  };

  async run(): Promise<RollbackResultT> {
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
    if (!flags['no-wait'] && !this.isTty)
      throw new UserError('No terminal to confirm on: nothing was applied.', {
        code: 'NEEDS_TTY',
        actions: ['Use --no-wait, then confirm from a new session.'],
      });
    const { gateChange } = await import('../src/apply/gate.js');
    const { renderGated, applyResult, renderApplyResult } = await import('../src/apply/render.js');
    const { askApply } = await import('../src/cli/apply-question.js');
    const asking = this.isTty && !flags.yes && !this.jsonEnabled();
    const gate = await gateChange({
      source: { kind: 'version', ref: args.version },
      fromElsewhere: flags['from-elsewhere'],
      netns,
      stateDir: flags['state-dir'],
      timeoutSec: flags.timeout,
      force: flags.force,
      persistPath: null,
      message: `restore version ${args.version}`,
      bin: join(packageRoot(), 'bin', 'run.js'),
      probes: !flags['no-probes'],
      adminAddresses: flags['admin-address'],
      show: (gated) => {
        for (const line of renderGated(gated)) this.note(line);
      },
      ask: async () => asking && askApply(`Restore this version with a ${flags.timeout} s rollback window? [y/N] `),
    });
    if (gate.status === 'nothing') {
      const r = gate.restore;
      this.say(`Nothing differs: the tables fwsafe manages already match version ${r.versionId}; nothing was applied.`);
      if (r.foreign.length) this.say(`Not compared (other owners): ${r.foreign.join(', ')}`);
      if (r.notOurs.length)
        this.say(`Not touched (created since by someone else, not by fwsafe): ${r.notOurs.join(', ')}`);
      return { mode: 'nothing', restoredVersion: r.versionId, foreign: r.foreign, notOurs: r.notOurs };
    }
    let outcome = null;
    if (!flags['no-wait']) {
      const { waitAtTerminal } = await import('../src/apply/terminal-wait.js');
      outcome = await waitAtTerminal({
        stateDir: flags['state-dir'],
        pending: gate.applied.pending,
        changedRuleTexts: [],
        io: { input: process.stdin, output: process.stderr },
      });
    }
    const apply = applyResult(gate.applied, outcome);
    for (const line of renderApplyResult(apply)) this.say(line);
    if (apply.state !== 'confirmed' && apply.state !== 'pending') process.exitCode = 3;
    const r = gate.gated.restore!;
    return {
      mode: 'version',
      restoredVersion: r.versionId,
      restored: r.restored,
      deleted: r.deleted,
      foreign: r.foreign,
      notOurs: r.notOurs,
      apply,
    };
  }
}
