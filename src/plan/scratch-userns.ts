import { rmSync, writeFileSync } from 'node:fs';
import { privateTempDir } from '../state/runtime-dir.js';
import { join } from 'node:path';
import { run } from '../run/runner.js';
import { resolveBinary } from '../run/binaries.js';
import { splitTables } from '../ruleset/text.js';
import { ExitCode, FwsafeError } from '../errors.js';
import { kernelRejection } from './nft-error.js';
import { translateHandles } from './handles.js';
import type { ScratchResult } from './scratch.js';

// `list ruleset` inside an `nft -f` batch shows nft's cache, not the committed result: interactive
// mode (-i, commands on stdin) runs each line as its own transaction, so a listing after an include sees it.
async function nftUserns(format: '-a' | '-j', lines: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await run('unshare', ['-rn', resolveBinary('nft'), format, '-i'], { input: lines.join('\n') + '\n', allowFailure: true, timeoutMs: 60_000 });
  if (r.exitCode !== 0 && /unshare/.test(r.stderr)) {
    throw new FwsafeError(
      `Planning without root needs an unprivileged user namespace, and this machine refuses one (${r.stderr.trim().split('\n')[0]}). Run fwsafe plan as root, or allow user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, or the AppArmor restriction on Ubuntu).`,
      { code: 'USERNS_UNAVAILABLE', exitCode: ExitCode.needsRoot, actions: ['Run it again with sudo.', 'Or enable unprivileged user namespaces on this CI runner.'] },
    );
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

const hasError = (stderr: string): boolean => /: Error: /.test(stderr);
const include = (path: string): string => `include "${path}"`;

/**
 * The scratch computation without root (for `--against` on CI runners): a throwaway user+network
 * namespace per nft process (`unshare -rn`); each loads the base (and the proposal) and lists.
 */
export async function computeInUserns(options: { baseText: string; proposalPath: string; proposalText: string }): Promise<ScratchResult> {
  const dir = privateTempDir('fwsafe-plan-');
  try {
    let base = join(dir, 'base.nft');
    writeFileSync(base, options.baseText, { mode: 0o600 });
    const notReproduced: string[] = [];
    let before = await nftUserns('-a', [include(base), 'list ruleset']);
    if (hasError(before.stderr)) {
      const kept: string[] = [];
      for (const table of splitTables(options.baseText)) {
        const one = join(dir, 'table.nft');
        writeFileSync(one, table.raw + '\n', { mode: 0o600 });
        if (hasError((await nftUserns('-a', [include(one)])).stderr)) notReproduced.push(`${table.family} ${table.name}`);
        else kept.push(table.raw);
      }
      base = join(dir, 'base-reproducible.nft');
      writeFileSync(base, kept.join('\n') + '\n', { mode: 0o600 });
      before = await nftUserns('-a', [include(base), 'list ruleset']);
    }
    // The kernel validates exactly the text the plan records (errors still name the user's file), with
    // live handles in it translated to the handles the same objects have in this copy.
    const proposal = join(dir, 'proposal.nft');
    const translated = translateHandles(options.baseText, before.stdout, options.proposalText);
    writeFileSync(proposal, translated.text, { mode: 0o600 });
    const after = [include(base), include(proposal), 'list ruleset'];
    const [beforeJson, afterText, afterJson] = await Promise.all([nftUserns('-j', [include(base), 'list ruleset']), nftUserns('-a', after), nftUserns('-j', after)]);
    if (hasError(afterText.stderr)) {
      throw kernelRejection(afterText.stderr, { proposalPath: options.proposalPath, paths: { [proposal]: options.proposalPath }, notReproduced, rewrites: translated.rewrites });
    }
    return { before: { text: before.stdout, json: beforeJson.stdout }, after: { text: afterText.stdout, json: afterJson.stdout }, notReproduced };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
