import { z } from 'zod';

/**
 * Where a fwsafe process was started from, as the kernel shows it (never from the environment):
 * an SSH connection (its sshd process, that process's start time, the socket's peer), a console
 * (a terminal that is not a pseudo-terminal), a pseudo-terminal not traced to SSH (tmux, screen,
 * mosh, a terminal emulator), or nothing at all (a script).
 */
export const Connection = z.strictObject({
  kind: z.enum(['ssh', 'console', 'pty', 'none']),
  /** The per-connection sshd process (a child of the listener). */
  sshdPid: z.number().int().positive().nullable(),
  /** Its start time in clock ticks since boot (/proc/PID/stat field 22): when the connection was accepted. */
  startTicks: z.number().int().nonnegative().nullable(),
  /** The same as a wall-clock time, for people. */
  startedAt: z.string().nullable(),
  /** The peer of the connection's TCP socket ("addr port"), read from the kernel's socket table. */
  client: z.string().nullable(),
  /** The controlling terminal, e.g. "pts/3" or "tty1". */
  tty: z.string().nullable(),
});
export type ConnectionT = z.infer<typeof Connection>;

/** How a confirmation was given, and what it proved. */
export const ConfirmVia = z.strictObject({
  method: z.enum(['new-connection', 'console', 'no-terminal', 'from-this-session', 'terminal-code']),
  /** True only when the confirming SSH connection was opened after the change was applied. */
  newConnectionProven: z.boolean(),
  connection: Connection,
  appliedFrom: Connection.nullable(),
});
export type ConfirmViaT = z.infer<typeof ConfirmVia>;
