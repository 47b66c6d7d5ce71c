import { HistoryStore } from './store.js';
import type { VersionRecordT } from './schema.js';
import { readPending } from '../pending/store.js';
import { staleReason } from '../apply/status.js';
import type { LogResultT } from '../contracts/log.js';
import { describeConnection } from '../session/connection.js';
import { whereLabel, type WhereT } from '../host/identity.js';

/** Every version, newest first, with outcome; unreadable records reported beside them. */
export function readLog(options: { stateDir?: string; limit?: number }): LogResultT {
  const store = new HistoryStore(options.stateDir);
  const { records, errors } = store.list();
  const versions = records.reverse().slice(0, options.limit ?? records.length);
  return {
    unguarded: unguardedChange(store),
    versions,
    unreadable: errors.map((e) => ({ file: String(e.details.file ?? ''), message: e.message })),
  };
}

/** The pending change if nothing guards it; a pending record that cannot be read is every command's warning. */
function unguardedChange(store: HistoryStore): LogResultT['unguarded'] {
  try {
    const pending = readPending(store.paths);
    const reason = pending === null ? null : staleReason(pending, store.paths);
    return pending !== null && reason !== null ? { changeId: pending.changeId, reason } : null;
  } catch {
    return null;
  }
}

/** One line per version, for 80 columns. */
export function renderLogLine(v: VersionRecordT, here: WhereT, unguarded: LogResultT['unguarded'] = null): string {
  const when = v.createdAt.replace('T', ' ').slice(0, 19);
  const flagged =
    unguarded !== null && v.change?.state === 'pending' && v.change.changeId === unguarded.changeId
      ? 'pending UNGUARDED'
      : null;
  const state = v.change ? v.change.state + (v.change.rollbackReason ? ` (${v.change.rollbackReason})` : '') : '';
  const outcome = flagged ?? state;
  const where = whereLabel(v.where, here);
  const head = `${String(v.id).padStart(4)}  ${when}  ${v.kind.padEnd(8)} ${outcome.padEnd(22)} ${where.padEnd(6)} ${v.actor.user}`;
  return v.message ? `${head}  ${v.message}` : head;
}

export function renderLogDetails(v: VersionRecordT): string[] {
  const lines: string[] = [];
  const c = v.change;
  if (!c) return lines;
  if (c.touchedTables.length > 0) lines.push(`        tables: ${c.touchedTables.join(', ')}`);
  if (c.confirmedBy)
    lines.push(
      `        confirmed by ${c.confirmedBy.user}@${c.confirmedBy.host}${c.confirmedBy.from ? ` from ${c.confirmedBy.from}` : ''} at ${c.confirmedAt}`,
    );
  if (c.confirmedVia) {
    const proof = c.confirmedVia.newConnectionProven
      ? 'a new connection, proven'
      : `${c.confirmedVia.method}, new connection NOT proven`;
    lines.push(`        over ${describeConnection(c.confirmedVia.connection)}: ${proof}`);
  }
  if (c.rolledBackAt) lines.push(`        rolled back at ${c.rolledBackAt} (${c.rollbackReason ?? 'unknown'})`);
  if (c.overwrittenUnknown)
    lines.push(
      '        rollback restored without comparing first (no time at the deadline): changes others made meanwhile are not known',
    );
  if (c.overwritten.length > 0)
    lines.push(`        rollback overwrote changes made by others to: ${c.overwritten.join('; ')}`);
  for (const o of c.overwrittenObjects ?? []) {
    const where = `${o.table} ${o.object}`;
    const quoted = (xs: string[]): string => xs.map((x) => `"${x}"`).join(', ');
    if (o.removed) lines.push(`          removed ${where}: others created it meanwhile`);
    if (o.lost.length > 0) lines.push(`          lost from ${where} (others added it): ${quoted(o.lost)}`);
    if (o.putBack.length > 0) lines.push(`          put back in ${where} (others deleted it): ${quoted(o.putBack)}`);
  }
  if (c.kept && c.kept.length > 0)
    lines.push(`        rollback undid only this change; kept what others changed meanwhile in: ${c.kept.join(', ')}`);
  if (c.conflict) lines.push(`        ${c.conflict}`);
  if (c.persistedTo) lines.push(`        persisted to ${c.persistedTo}`);
  if (c.persistError) lines.push(`        NOT persisted: ${c.persistError}`);
  if (c.error) lines.push(`        error: ${c.error}`);
  if (c.note) lines.push(`        note: ${c.note}`);
  return lines;
}

/** readLog plus the tables that no longer match their last confirmed version ("confirmed" must not mislead). */
export async function withRewrittenTables(result: LogResultT, stateDir?: string): Promise<LogResultT> {
  const { hasConfirmedTables, rewrittenTables } = await import('./confirmed-tables.js');
  const { statePaths } = await import('../state/paths.js');
  const paths = statePaths(stateDir);
  return hasConfirmedTables(paths) ? { ...result, rewritten: await rewrittenTables(paths) } : result;
}
