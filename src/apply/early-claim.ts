// The first thing a `confirm` does, before loading zod and the history store (~0.2 s here): take the
// claim while the deadline has not passed. Holding it, the confirm cannot lose the race with the
// watchdog to its own start-up time; everything is validated properly afterwards (confirm.ts), and a
// confirm that then finds something wrong releases the claim. No zod here, on purpose: only a file
// created with O_EXCL (never through a symlink) and a number compared.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { selfIdentity } from '../pending/clock.js';

/** Claims the pending change for confirmation if its deadline has not passed; the claim time, or null. */
export function earlyClaim(stateRoot: string, changeId: string | undefined): bigint | null {
  let raw: { changeId?: unknown; versionId?: unknown; deadlineMonoNs?: unknown };
  try {
    raw = JSON.parse(readFileSync(join(stateRoot, 'pending.json'), 'utf8')) as typeof raw;
  } catch {
    return null;
  }
  if (typeof raw.changeId !== 'string' || (changeId !== undefined && raw.changeId !== changeId)) return null;
  if (typeof raw.versionId !== 'number' || typeof raw.deadlineMonoNs !== 'string') return null;
  if (!/^\d+$/.test(raw.deadlineMonoNs)) return null;
  const now = process.hrtime.bigint();
  if (now >= BigInt(raw.deadlineMonoNs)) return null;
  let fd: number;
  try {
    fd = openSync(join(stateRoot, 'resolving'), 'wx', 0o600);
  } catch {
    return null;
  }
  try {
    // The claim record of src/pending/schema.ts (ClaimRecord): pid + start time, so a recycled pid never counts.
    const record = { ...selfIdentity(), changeId: raw.changeId, action: 'confirm', atMonoNs: String(now) };
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return now;
}
