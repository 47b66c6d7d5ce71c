// `fwsafe status` is what an admin types again and again during a change window, and what scripts
// poll: it answers without loading oclif (~200 ms here) and, when nothing is pending, without zod.
// `fwsafe confirm` races the deadline: it takes its claim before loading anything heavy
// (src/apply/early-claim.ts), then runs without oclif.
// Only the plain forms are served here; anything else (--help, a typo, another flag) goes to oclif,
// which parses and reports it as usual. The output is the status command's own (statusLines, the
// same JSON), so the two paths cannot drift apart in what they print.
import { lstatSync } from 'node:fs';
import { statePaths } from '../state/paths.js';
import { toFwsafeError } from '../errors.js';
import { writeError } from './error-output.js';
import { escapeControl } from './terminal-text.js';

interface FastArgs {
  command: 'status' | 'confirm';
  json: boolean;
  stateDir: string | undefined;
  /** confirm's change id */
  id: string | undefined;
  /** confirm --from-this-session: the new-connection proof is still checked in confirmPending */
  fromThisSession: boolean;
}

/**
 * `status|confirm [ID] [--json] [--state-dir D|--state-dir=D] [--netns N|--netns=N]`, and confirm's
 * `--from-this-session`; or null.
 */
function parseArgs(args: readonly string[]): FastArgs | null {
  if (args[0] !== 'status' && args[0] !== 'confirm') return null;
  const out: FastArgs = { command: args[0], json: false, stateDir: undefined, id: undefined, fromThisSession: false };
  for (let i = 1; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--json') out.json = true;
    else if (out.command === 'confirm' && arg === '--from-this-session') out.fromThisSession = true;
    else if (out.command === 'confirm' && out.id === undefined && /^c-[0-9a-z-]{6,64}$/.test(arg)) out.id = arg;
    else if (arg.startsWith('--state-dir=')) out.stateDir = arg.slice('--state-dir='.length);
    else if (arg === '--state-dir' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-'))
      out.stateDir = args[++i];
    else if (arg.startsWith('--netns=')) continue;
    else if (arg === '--netns' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) i += 1;
    else return null;
  }
  return out;
}

/** False only when the path surely does not exist; "cannot tell" (EACCES) goes to the full reader, which says why. */
function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Runs the command here when it is one the fast path serves; false hands it to oclif. */
async function confirmFast(parsed: FastArgs): Promise<void> {
  const root = statePaths(parsed.stateDir).root;
  const { earlyClaim } = await import('../apply/early-claim.js');
  const claimedAtNs = earlyClaim(root, parsed.id);
  await import('./zod-jitless.js');
  const { confirmPending } = await import('../apply/confirm.js');
  const result = await confirmPending({
    stateDir: parsed.stateDir,
    changeId: parsed.id,
    claimedAtNs,
    fromThisSession: parsed.fromThisSession,
  });
  if (parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { confirmLines } = await import('../apply/confirm-lines.js');
    process.stdout.write(`${confirmLines(result).join('\n')}\n`);
  }
}

export async function tryFastPath(args: readonly string[]): Promise<boolean> {
  if (args[0] === 'apply') {
    const { tryApplyFastPath } = await import('./apply-fast-path.js');
    return tryApplyFastPath(args);
  }
  const parsed = parseArgs(args);
  if (!parsed) return false;
  if (parsed.command === 'confirm') {
    try {
      await confirmFast(parsed);
    } catch (error) {
      writeError(toFwsafeError(error), parsed.json);
    }
    return true;
  }
  try {
    const paths = statePaths(parsed.stateDir);
    // A state directory another user can write is refused here too (one lstat), not read as "nothing pending".
    const { assertTrustedIfExists } = await import('../state/fs-safe.js');
    assertTrustedIfExists(paths.root);
    let result: import('../contracts/status.js').StatusResultT = { pending: null };
    // Anything at all where the record lives (a symlink too) goes through the full reader, which refuses links.
    if (entryExists(paths.pending)) {
      // Like every command: a guard found gone is re-armed (said on stderr) before the status is read.
      const { guardNotices } = await import('../watchdog/rearm.js');
      for (const line of await guardNotices(paths, { warnUnguarded: false })) process.stderr.write(`${line}\n`);
      await import('./zod-jitless.js');
      const { pendingStatus } = await import('../apply/status.js');
      result = pendingStatus({ stateDir: parsed.stateDir });
    }
    // After a confirmed change: do the tables it changed still look as confirmed? (one nft listing each)
    if (entryExists(`${paths.root}/confirmed-tables.json`)) {
      const { withRewritten } = await import('../apply/status.js');
      result = await withRewritten(result, parsed.stateDir);
    }
    if (parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const { statusLines } = await import('../apply/status-lines.js');
      process.stdout.write(`${escapeControl(statusLines(result).join('\n'))}\n`);
    }
  } catch (error) {
    writeError(toFwsafeError(error), parsed.json);
  }
  return true;
}
