import type { ConfirmResultT } from '../contracts/confirm.js';
import { describeConnection } from '../session/connection.js';

/** `fwsafe confirm` for humans (the oclif command and the fast path print the same lines). */
export function confirmLines(r: ConfirmResultT): string[] {
  const from = r.confirmedBy.from ? ` from ${r.confirmedBy.from}` : '';
  const lines = [`Change ${r.changeId} confirmed (version ${r.versionId}) by ${r.confirmedBy.user}${from}.`];
  if (r.via) {
    const over = `Confirmed over ${describeConnection(r.via.connection)}`;
    if (r.via.newConnectionProven) lines.push(`${over}, opened after the change: new connections get through.`);
    else lines.push(`${over}: a new connection was NOT proven (${r.via.method}); check that you can still log in.`);
  }
  const kept = r.previousPersistKeptAt ? ` (previous content kept at ${r.previousPersistKeptAt})` : '';
  if (r.persistedTo) lines.push(`Persisted to ${r.persistedTo}${kept}.`);
  if (r.persistError)
    lines.push(
      `NOT persisted: ${r.persistError} (the change is confirmed and live; a restart of firewalld would lose it).`,
    );
  return lines;
}
