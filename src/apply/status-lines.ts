import type { RolledBackT } from '../contracts/rollback.js';
import type { StatusResultT } from '../contracts/status.js';
import { rewrittenText } from '../history/confirmed-tables.js';

/** `fwsafe status` for humans (the oclif command and the fast path print the same lines). */
export function statusLines(result: StatusResultT): string[] {
  const warnings = (result.rewritten ?? []).map((r) => `warning: ${rewrittenText(r)}`);
  return [...pendingLines(result), ...warnings];
}

function pendingLines(result: StatusResultT): string[] {
  const p = result.pending;
  if (p === null) return ['No change is pending.'];
  const lines = [
    `Change ${p.changeId} (version ${p.versionId ?? 'being applied'}) is pending confirmation.`,
    `  deadline:  ${p.deadline} (${p.secondsLeft} s left)`,
    `  guards:    ${p.guards.map((g) => `${g.slot}: ${g.pid ?? '-'} ${g.alive ? 'alive' : 'GONE'}`).join(', ')}` +
      (p.waitingCliPid !== null && !p.watchdogAlive
        ? ` (the waiting fwsafe apply, pid ${p.waitingCliPid}, holds the deadline)`
        : ''),
    `  tables:    ${p.touchedTables.join(', ')}`,
  ];
  if (p.message) lines.push(`  message:   ${p.message}`);
  // Unguarded does not say what is live (a guard may have restored the rules before it went): recover looks.
  if (p.stale) {
    lines.push(
      `  UNGUARDED (${p.stale}): nothing rolls it back by itself. Run fwsafe recover: it checks what is live and ` +
        'restores the previous rules if needed.',
    );
  } else lines.push(`  keep it: fwsafe confirm    undo it: fwsafe rollback    more time: fwsafe extend SECONDS`);
  return lines;
}

/** What a rollback did, as observed: restored, found already restored, or failed (with why). */
export function rollbackLines(r: RolledBackT, what: string): string[] {
  if (r.status !== 'rolled-back') return [`${what} could NOT be rolled back cleanly: ${r.error ?? 'unknown error'}`];
  const lines = [
    r.restored
      ? `${what} rolled back at ${r.rolledBackAt} (${r.reason}): the previous rules are live.`
      : `${what}: the previous rules were already live (restored earlier); nothing was rewritten. Recorded as rolled back (${r.reason}).`,
  ];
  if (r.overwritten.length > 0)
    lines.push(`The rollback overwrote changes made by others meanwhile: ${r.overwritten.join('; ')}`);
  if (r.kept.length > 0)
    lines.push(`The rollback undid only this change; it kept what others changed meanwhile: ${r.kept.join('; ')}`);
  return lines;
}
