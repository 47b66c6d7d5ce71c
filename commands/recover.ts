import { BaseCommand } from '../src/cli/base-command.js';
import type { RecoverResultT } from '../src/contracts/recover.js';
import { rollbackLines } from '../src/apply/status-lines.js';

export default class Recover extends BaseCommand {
  static skipStaleCheck = true;
  static summary = 'Roll back a pending change nobody guards any more (deadline passed, watchdog gone, host rebooted).';
  static description =
    'Safe to run any time: a change whose watchdog is alive and in time is left alone. Run at boot by docs/contrib/fwsafe-recover.service.';
  static examples = ['<%= config.bin %> recover'];

  async run(): Promise<RecoverResultT> {
    const { flags } = await this.parse(Recover);
    const { recover } = await import('../src/apply/recover.js');
    const r = await recover({ stateDir: flags['state-dir'] });
    if (r.found === 'nothing') this.say('No change is pending.');
    if (r.found === 'guarded')
      this.say(`Change ${r.changeId} is pending and its watchdog is guarding it: nothing to recover.`);
    if (r.result) for (const line of rollbackLines(r.result, `Change ${r.changeId} (${r.stale})`)) this.say(line);
    for (const c of r.cleaned) this.say(`Cleaned: ${c}`);
    if (r.result?.status === 'rollback-failed') process.exitCode = 1;
    return r;
  }
}
