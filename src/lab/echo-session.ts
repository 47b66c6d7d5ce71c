import type { ChildProcess } from 'node:child_process';
import { spawnPiped } from '../run/spawn.js';
import { sshArgs } from './sshd.js';
import type { LabRecordT } from './schema.js';

export interface EchoSession {
  /** Types a line; resolves true if it comes back within `ms`. */
  send(line: string, ms: number): Promise<boolean>;
  /** Waits (bounded) for a line typed earlier to come back. */
  waitFor(line: string, ms: number): Promise<boolean>;
  close(): void;
}

/**
 * A logged-in admin, reduced to its essence: an SSH session from the admin namespace running `cat`
 * on the server, so every line typed is echoed back through the TCP connection. Keep-alives are off
 * so the session survives a long freeze (the point is to watch it come back).
 */
export function openEchoSession(lab: LabRecordT): EchoSession {
  let seen = '';
  const child: ChildProcess = spawnPiped('ssh', [...sshArgs(lab.dir, ['-T', '-o', 'ServerAliveInterval=0']), 'cat'], {
    netns: lab.adminNetns,
  });
  child.stdout!.on('data', (d: Buffer) => {
    seen += d.toString();
  });
  child.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  const waitFor = (line: string, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const until = Date.now() + ms;
      const tick = (): void => {
        if (seen.includes(line)) resolve(true);
        else if (Date.now() > until || child.exitCode !== null) resolve(false);
        else setTimeout(tick, 50);
      };
      tick();
    });
  return {
    send(line, ms) {
      child.stdin!.write(`${line}\n`);
      return waitFor(line, ms);
    },
    waitFor,
    close() {
      child.stdin!.end();
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
