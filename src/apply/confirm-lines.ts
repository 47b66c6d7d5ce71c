import type { ConfirmResult } from './confirm.js';

/** `fwsafe confirm` for humans (the oclif command and the fast path print the same lines). */
export function confirmLines(r: ConfirmResult): string[] {
  const lines = [`Change ${r.changeId} confirmed (version ${r.versionId}) by ${r.confirmedBy.user}${r.confirmedBy.from ? ` from ${r.confirmedBy.from}` : ''}.`];
  if (r.persistedTo) lines.push(`Persisted to ${r.persistedTo}${r.previousPersistKeptAt ? ` (previous content kept at ${r.previousPersistKeptAt})` : ''}.`);
  return lines;
}
