import type { PendingRecordT } from '../pending/schema.js';
import type { ConfirmViaT, ConnectionT } from '../session/schema.js';
import { FwsafeError, ExitCode } from '../errors.js';

export interface ProofOptions {
  confirming: ConnectionT;
  /** `--from-this-session`: the admin vouches for this session; recorded as such. */
  fromThisSession: boolean;
  /** Confirmed by typing the one-time code at the applying terminal. */
  terminalCode: boolean;
}

function sameConnection(a: ConnectionT | null | undefined, b: ConnectionT): boolean {
  return a?.kind === 'ssh' && a.sshdPid === b.sshdPid && a.startTicks === b.startTicks;
}

/**
 * Is this confirmation evidence that new connections get through the changed firewall? Only an SSH
 * connection accepted after the change went live is. The applying connection, an older one, or a
 * terminal not traced to SSH is refused (exit 17) unless the admin says --from-this-session; a
 * console or a process without any terminal is accepted and recorded as what it is.
 */
export function judgeConfirmation(pending: PendingRecordT, o: ProofOptions): ConfirmViaT {
  const appliedFrom = pending.appliedFrom ?? null;
  const base = { connection: o.confirming, appliedFrom };
  if (o.terminalCode) return { method: 'terminal-code', newConnectionProven: false, ...base };
  const c = o.confirming;
  if (c.kind === 'ssh') {
    const after = pending.appliedAtTicks != null && c.startTicks !== null && c.startTicks > pending.appliedAtTicks;
    if (after && !sameConnection(appliedFrom, c)) {
      return { method: 'new-connection', newConnectionProven: true, ...base };
    }
  } else if (c.kind === 'console') {
    return { method: 'console', newConnectionProven: false, ...base };
  } else if (c.kind === 'none') {
    return { method: 'no-terminal', newConnectionProven: false, ...base };
  }
  if (o.fromThisSession) return { method: 'from-this-session', newConnectionProven: false, ...base };
  const why =
    c.kind === 'ssh'
      ? sameConnection(appliedFrom, c)
        ? 'this is the SSH connection that applied it'
        : 'this SSH connection was opened before the change was applied'
      : `this terminal (${c.tty}) is not traced to an SSH connection (tmux, screen, mosh?), so it may be an old one`;
  const confirmCommand = `fwsafe${pending.netns ? ` --netns ${pending.netns}` : ''} confirm ${pending.changeId}`;
  throw new FwsafeError(`This session predates the change: open a new SSH connection and confirm there (${why}).`, {
    code: 'SESSION_PREDATES_CHANGE',
    exitCode: ExitCode.sessionPredates,
    actions: [
      `From a new SSH connection: ${confirmCommand}`,
      'To keep it from this session anyway (recorded as unproven): fwsafe confirm --from-this-session',
    ],
    details: { changeId: pending.changeId, confirming: c, appliedFrom },
  });
}
