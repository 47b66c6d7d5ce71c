import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { netnsPath } from '../run/netns.js';
import { FwsafeError, ExitCode } from '../errors.js';

/**
 * Where a version, pending change or plan was taken: the host (/etc/machine-id) and the network
 * namespace (its nsfs inode, which a deleted-and-recreated namespace of the same name does not keep).
 */
export const Where = z.strictObject({
  machineId: z.string(),
  netnsInode: z.string(),
  /** The name given with --netns; null for the namespace fwsafe itself ran in. */
  netns: z.string().nullable(),
});
export type WhereT = z.infer<typeof Where>;

function machineId(): string {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      if (id) return id;
    } catch {
      // try the next one
    }
  }
  return '';
}

/** The identity of this host and of the namespace named `netns` (or our own when null). */
export function currentWhere(netns: string | null): WhereT {
  const path = netns === null ? '/proc/self/ns/net' : netnsPath(netns, { mustExist: false });
  let inode = '';
  try {
    inode = String(statSync(path).ino);
  } catch {
    inode = '';
  }
  return { machineId: machineId(), netnsInode: inode, netns };
}

/** Same host and same namespace. Records from before identities were kept (undefined) cannot be told apart. */
export function sameWhere(a: WhereT | undefined, b: WhereT): boolean {
  if (a === undefined) return true;
  return a.machineId === b.machineId && a.netnsInode === b.netnsInode;
}

export function describeWhere(w: WhereT): string {
  const ns = w.netns === null ? 'the namespace fwsafe ran in' : `namespace ${w.netns}`;
  return `${ns} (netns inode ${w.netnsInode || '?'}) on host ${w.machineId.slice(0, 12) || '?'}`;
}

/** Short form for `log`: "here", or where else. */
export function whereLabel(w: WhereT | undefined, here: WhereT): string {
  if (w === undefined) return '?';
  if (sameWhere(w, here)) return 'here';
  if (w.machineId !== here.machineId) return `host ${w.machineId.slice(0, 8)}`;
  return w.netns === null ? `ns#${w.netnsInode}` : `ns ${w.netns}#${w.netnsInode}`;
}

/** Refuses (exit 15) a version or plan taken on another host or in another namespace, unless told so. */
export function assertTakenHere(what: string, where: WhereT | undefined, here: WhereT, fromElsewhere: boolean): void {
  if (fromElsewhere || sameWhere(where, here)) return;
  throw new FwsafeError(
    `${what} was taken in ${describeWhere(where!)}, not here: ${describeWhere(here)}. Nothing was changed.`,
    {
      code: 'FROM_ELSEWHERE',
      exitCode: ExitCode.elsewhere,
      actions: [
        'Check --netns and --state-dir: each namespace and host should keep its own history.',
        'To use it here anyway, add --from-elsewhere.',
      ],
      details: { taken: where, here },
    },
  );
}
