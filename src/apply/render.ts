import type { PlanT } from '../plan/schema.js';
import { renderSummary, wrap } from '../plan/render.js';
import type { ApplyResultT } from '../contracts/apply.js';
import type { AppliedChange } from './apply-change.js';
import type { WaitOutcome } from './terminal-wait.js';
import type { GatedChange } from './gate.js';

/** A short summary of what the change does, shown before applying: plan's own summary, then each finding. */
export function renderPlanSummary(plan: PlanT, width = 80): string[] {
  const lines = renderSummary(plan);
  for (const f of plan.findings)
    lines.push(...wrap(`${f.severity.toUpperCase()} ${f.code}: ${f.message}`, width - 2, '    ').map((l) => `  ${l}`));
  return lines;
}

/**
 * What the gate shows before any question: the host's plan, what a restore does, and a plan file's
 * own findings as history (they were made elsewhere; the host's findings above decide).
 */
export function renderGated(gated: GatedChange, width = 80): string[] {
  const lines: string[] = [];
  const r = gated.restore;
  if (r) {
    lines.push(
      `Restoring version ${r.versionId}: ${r.restored.length} table(s) rewritten${r.restored.length ? ` (${r.restored.join(', ')})` : ''}, ${r.deleted.length} created later by fwsafe deleted${r.deleted.length ? ` (${r.deleted.join(', ')})` : ''}.`,
    );
    if (r.foreign.length) lines.push(`Not touched (other owners): ${r.foreign.join(', ')}`);
    if (r.notOurs.length)
      lines.push(`Not touched (created since by someone else, not by fwsafe): ${r.notOurs.join(', ')}`);
  }
  lines.push(...renderPlanSummary(gated.plan, width));
  const rec = gated.recorded;
  if (rec) {
    lines.push(
      `Findings recorded in the plan file (made ${rec.createdAt} against ${rec.base.source === 'live' ? 'a live ruleset' : rec.base.source === 'version' ? `version ${rec.base.ref}` : `the file ${rec.base.ref}`}): history only, the findings above were made on this host and decide.`,
    );
    if (rec.findings.length === 0) lines.push('  (none)');
    for (const f of rec.findings)
      lines.push(
        ...wrap(`${f.severity.toUpperCase()} ${f.code}: ${f.message}`, width - 2, '    ').map((l) => `  ${l}`),
      );
  }
  return lines;
}

export function applyResult(applied: AppliedChange, outcome: WaitOutcome | null): ApplyResultT {
  const p = applied.pending;
  return {
    changeId: p.changeId,
    versionId: applied.version.id,
    baseVersion: p.baseVersion,
    state: outcome?.state ?? 'pending',
    deadline: p.deadline,
    timeoutSec: p.timeoutSec,
    touchedTables: p.touchedTables.map((t) => `${t.family} ${t.name}`),
    watchdogPid: p.watchdogPid,
    systemdBackstop: applied.systemdBackstop,
    rollbackReason: outcome?.reason ?? null,
    overwritten: outcome?.overwritten ?? [],
    persistPath: p.persistPath,
    persistedTo: outcome?.persistedTo ?? null,
    confirmWith: `fwsafe${p.netns ? ` --netns ${p.netns}` : ''} confirm ${p.changeId}`,
    error: outcome?.error ?? null,
  };
}

export function renderApplyResult(r: ApplyResultT): string[] {
  const problem = r.error ? [`Problem: ${r.error}`] : [];
  if (r.state === 'pending') {
    return [
      `Change ${r.changeId} applied (version ${r.versionId}); it rolls back at ${r.deadline} unless confirmed.`,
      ...problem,
      `From a NEW SSH session (that proves new connections still work), run:  ${r.confirmWith}`,
      'Undo it now: fwsafe rollback    See it: fwsafe status    More time: fwsafe extend SECONDS',
    ];
  }
  if (r.state === 'confirmed') {
    return [
      `Change ${r.changeId} confirmed and kept (version ${r.versionId}).${r.persistedTo ? ` Persisted to ${r.persistedTo}.` : ''}`,
      ...problem,
    ];
  }
  if (r.state === 'failed') {
    return [
      `Change ${r.changeId} failed (${r.rollbackReason ?? 'unknown'}); see what is live with: fwsafe diff ${r.baseVersion} live`,
      ...problem,
    ];
  }
  const lines = [
    `Change ${r.changeId} was rolled back (${r.rollbackReason ?? 'unknown'}); the previous rules are live.`,
    ...problem,
  ];
  if (r.overwritten.length > 0)
    lines.push(`The rollback overwrote changes made by others meanwhile: ${r.overwritten.join('; ')}`);
  return lines;
}
