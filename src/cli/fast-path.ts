// `fwsafe status` is what an admin types again and again during a change window, and what scripts
// poll: it answers without loading oclif (~200 ms here) and, when nothing is pending, without zod.
// Only the plain forms are served here; anything else (--help, a typo, another flag) goes to oclif,
// which parses and reports it as usual. The output is the status command's own (statusLines, the
// same JSON), so the two paths cannot drift apart in what they print.
import { lstatSync } from 'node:fs';
import { statePaths } from '../state/paths.js';
import { toFwsafeError } from '../errors.js';
import { writeError } from './error-output.js';
import { escapeControl } from './terminal-text.js';

interface FastArgs {
  json: boolean;
  stateDir: string | undefined;
}

/** `status [--json] [--state-dir D|--state-dir=D] [--netns N|--netns=N]`, or null. */
function parseStatusArgs(args: readonly string[]): FastArgs | null {
  if (args[0] !== 'status') return null;
  const out: FastArgs = { json: false, stateDir: undefined };
  for (let i = 1; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--json') out.json = true;
    else if (arg.startsWith('--state-dir=')) out.stateDir = arg.slice('--state-dir='.length);
    else if (arg === '--state-dir' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) out.stateDir = args[++i];
    else if (arg.startsWith('--netns=')) continue;
    else if (arg === '--netns' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) i += 1;
    else return null;
  }
  return out;
}

function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs the command here when it is one the fast path serves; false hands it to oclif. */
export async function tryFastPath(args: readonly string[]): Promise<boolean> {
  const parsed = parseStatusArgs(args);
  if (!parsed) return false;
  try {
    const paths = statePaths(parsed.stateDir);
    let result: import('../apply/status.js').StatusResult = { pending: null };
    // Anything at all where the record lives (a symlink too) goes through the full reader, which refuses links.
    if (entryExists(paths.pending)) {
      // Like every command: a guard found gone is re-armed (said on stderr) before the status is read.
      const { guardNotices } = await import('../watchdog/rearm.js');
      for (const line of await guardNotices(paths, { warnUnguarded: false })) process.stderr.write(line + '\n');
      const { pendingStatus } = await import('../apply/status.js');
      result = pendingStatus({ stateDir: parsed.stateDir });
    }
    if (parsed.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const { statusLines } = await import('../apply/status-lines.js');
      process.stdout.write(escapeControl(statusLines(result).join('\n')) + '\n');
    }
  } catch (error) {
    writeError(toFwsafeError(error), parsed.json);
  }
  return true;
}
