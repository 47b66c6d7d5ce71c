import type { ConfirmResult } from './confirm.js';

/** `fwsafe confirm` for humans (the oclif command and the fast path print the same lines). */
export function confirmLines(r: ConfirmResult): string[] {
  const from = r.confirmedBy.from ? ` from ${r.confirmedBy.from}` : '';
  const lines = [`Change ${r.changeId} confirmed (version ${r.versionId}) by ${r.confirmedBy.user}${from}.`];
  const kept = r.previousPersistKeptAt ? ` (previous content kept at ${r.previousPersistKeptAt})` : '';
  if (r.persistedTo) lines.push(`Persisted to ${r.persistedTo}${kept}.`);
  return lines;
}
