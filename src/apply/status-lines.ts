import type { StatusResult } from './status.js';

/** `fwsafe status` for humans (the oclif command and the fast path print the same lines). */
export function statusLines(result: StatusResult): string[] {
  const p = result.pending;
  if (p === null) return ['No change is pending.'];
  const lines = [
    `Change ${p.changeId} (version ${p.versionId ?? 'being applied'}) is pending confirmation.`,
    `  deadline:  ${p.deadline} (${p.secondsLeft} s left)`,
    `  guards:    ${p.guards.map((g) => `${g.slot}: ${g.pid ?? '-'} ${g.alive ? 'alive' : 'GONE'}`).join(', ')}` +
      (p.waitingCliPid !== null && !p.watchdogAlive ? ` (the waiting fwsafe apply, pid ${p.waitingCliPid}, holds the deadline)` : ''),
    `  tables:    ${p.touchedTables.join(', ')}`,
  ];
  if (p.message) lines.push(`  message:   ${p.message}`);
  if (p.stale) lines.push(`  UNGUARDED (${p.stale}): nothing rolls it back by itself; run fwsafe recover to restore the previous rules.`);
  else lines.push(`  keep it: fwsafe confirm    undo it: fwsafe rollback    more time: fwsafe extend SECONDS`);
  return lines;
}
