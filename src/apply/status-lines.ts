import type { StatusResult } from './status.js';
import { rewrittenText } from '../history/confirmed-tables.js';

/** `fwsafe status` for humans (the oclif command and the fast path print the same lines). */
export function statusLines(result: StatusResult): string[] {
  const warnings = (result.rewritten ?? []).map((r) => `warning: ${rewrittenText(r)}`);
  return [...pendingLines(result), ...warnings];
}

function pendingLines(result: StatusResult): string[] {
  const p = result.pending;
  if (p === null) return ['No change is pending.'];
  const lines = [
    `Change ${p.changeId} (version ${p.versionId ?? 'being applied'}) is pending confirmation.`,
    `  deadline:  ${p.deadline} (${p.secondsLeft} s left)`,
    `  watchdog:  ${p.watchdogPid ?? '-'} ${p.watchdogAlive ? 'alive' : 'NOT RUNNING'}`,
    `  tables:    ${p.touchedTables.join(', ')}`,
  ];
  if (p.message) lines.push(`  message:   ${p.message}`);
  if (p.stale) lines.push(`  STALE (${p.stale}): run fwsafe recover to restore the previous rules.`);
  else lines.push(`  keep it: fwsafe confirm    undo it: fwsafe rollback    more time: fwsafe extend SECONDS`);
  return lines;
}
