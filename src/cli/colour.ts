import { escapeControl } from './terminal-text.js';

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const CYAN = '\u001b[36m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** Colours a unified diff for a terminal (callers decide whether colour is on); its text escaped first. */
export function colourDiff(unified: string): string {
  return escapeControl(unified)
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return BOLD + line + RESET;
      if (line.startsWith('@@')) return CYAN + line + RESET;
      if (line.startsWith('+')) return GREEN + line + RESET;
      if (line.startsWith('-')) return RED + line + RESET;
      return line;
    })
    .join('\n');
}

/** Colours around text escaped first: the only escape sequences in coloured output are these. */
export const paint = {
  red: (s: string): string => RED + escapeControl(s) + RESET,
  green: (s: string): string => GREEN + escapeControl(s) + RESET,
  cyan: (s: string): string => CYAN + escapeControl(s) + RESET,
  bold: (s: string): string => BOLD + escapeControl(s) + RESET,
};
