import { escapeControl } from '../cli/terminal-text.js';

/** DEBUG=fwsafe (or `*`): argv of every external program and the phases of a change, timed, on stderr. */
export const debugEnabled = /(^|,)fwsafe(:|,|$)|^\*$/.test(process.env.DEBUG ?? '');

/** One timed line on stderr under DEBUG=fwsafe ("[fwsafe +812 ms] …", ms since the process started). */
export function debugLog(message: string): void {
  if (debugEnabled)
    process.stderr.write(`${escapeControl(`[fwsafe +${Math.round(performance.now())} ms] ${message}`)}\n`);
}
