import type { FwsafeError } from '../errors.js';
import { escapeControl } from './terminal-text.js';

/** How every command reports an error: `{error:{…}}` on stdout under --json, `Error: …` and `→ action` lines on stderr otherwise. */
export function writeError(fw: FwsafeError, json: boolean): void {
  process.exitCode = fw.exitCode;
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: fw.toJSON() }, null, 2)}\n`);
    return;
  }
  const lines = [`Error: ${fw.message}`];
  for (const action of fw.actions) lines.push(`  → ${action}`);
  process.stderr.write(`${escapeControl(lines.join('\n'))}\n`);
  if (process.env.DEBUG && fw.stack) process.stderr.write(`${escapeControl(fw.stack)}\n`);
}
