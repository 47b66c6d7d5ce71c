import { BaseCommand } from '../src/cli/base-command.js';
import type { DetectResultT } from '../src/contracts/detect.js';

export default class Detect extends BaseCommand {
  static summary =
    'Show the firewall backends in use (nftables, iptables-nft, iptables-legacy, firewalld), who owns which tables, and what to watch out for.';
  static examples = ['<%= config.bin %> detect', '<%= config.bin %> --netns lab-server detect --json'];

  async run(): Promise<DetectResultT> {
    const { flags } = await this.parse(Detect);
    // Imported here: keep `fwsafe --help` fast (conventions §10).
    const { detect } = await import('../src/detect/detect.js');
    const result = await detect({ netns: this.checkNetns(flags.netns) });
    const { hasConfirmedTables, rewrittenTables, rewrittenText } = await import('../src/history/confirmed-tables.js');
    const { statePaths } = await import('../src/state/paths.js');
    const paths = statePaths(flags['state-dir']);
    // Best effort: detect also runs where the state directory is not readable.
    const rewritten = await (async () => (hasConfirmedTables(paths) ? rewrittenTables(paths) : []))().catch(() => []);
    for (const r of rewritten)
      result.warnings.push({
        code: 'MANAGER_REWROTE_TABLE',
        severity: 'warning',
        message: rewrittenText(r),
        actions: [`See what changed: fwsafe diff ${r.version} live`],
      });
    if (!this.jsonEnabled()) {
      const { renderDetect } = await import('../src/detect/render.js');
      this.log(renderDetect(result));
    }
    return result;
  }
}
