import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run/runner.js';
import { ensurePrivateDir, writeFileAtomic } from '../state/fs-safe.js';
import { parseJsonFile } from '../state/parse.js';
import { FwsafeError, ExitCode } from '../errors.js';
import { labNames, type LabNames } from './paths.js';
import { netnsKey } from '../run/netns.js';
import { makeKeys, startSshd } from './sshd.js';
import { LAB_ADMIN_V4, LAB_ADMIN_V6, LAB_SERVER_V4, LAB_SERVER_V6, LabRecord, type LabRecordT } from './schema.js';
import type { LabDownResultT } from '../contracts/lab-down.js';

const netnsExists = (name: string): boolean => existsSync(`/run/netns/${name}`);

/** Creates the lab: two namespaces, a veth pair, addresses, a real sshd with keys of its own. */
export async function labUp(options: { name: string; stateDir?: string }): Promise<LabRecordT> {
  const n = labNames(options.name, options.stateDir);
  if (netnsExists(n.adminNetns) || netnsExists(n.serverNetns)) {
    throw new FwsafeError(`Lab "${n.name}" is already up (namespaces ${n.adminNetns}, ${n.serverNetns}).`, {
      code: 'LAB_EXISTS',
      exitCode: ExitCode.badInput,
      actions: [`Use it, or remove it first: fwsafe lab down ${n.name}`],
    });
  }
  ensurePrivateDir(join(n.dir, '..', '..'));
  ensurePrivateDir(join(n.dir, '..'));
  ensurePrivateDir(n.dir);
  // Recorded before anything is made, then after each namespace: `lab down` removes what this lab made, nothing else.
  const record: LabRecordT = {
    name: n.name,
    adminNetns: n.adminNetns,
    serverNetns: n.serverNetns,
    admin: { v4: LAB_ADMIN_V4, v6: LAB_ADMIN_V6 },
    server: { v4: LAB_SERVER_V4, v6: LAB_SERVER_V6 },
    sshdPid: null,
    created: [],
    dir: n.dir,
    createdAt: new Date().toISOString(),
  };
  const save = (): void => writeFileAtomic(join(n.dir, 'lab.json'), JSON.stringify(record, null, 2));
  try {
    save();
    for (const ns of [n.adminNetns, n.serverNetns]) {
      await run('ip', ['netns', 'add', ns]);
      record.created.push({ netns: ns, id: netnsKey(ns) });
      save();
    }
    await run('ip', [
      '-n',
      n.adminNetns,
      'link',
      'add',
      n.vethAdmin,
      'type',
      'veth',
      'peer',
      'name',
      n.vethServer,
      'netns',
      n.serverNetns,
    ]);
    for (const [ns, dev, v4, v6] of [
      [n.adminNetns, n.vethAdmin, LAB_ADMIN_V4, LAB_ADMIN_V6],
      [n.serverNetns, n.vethServer, LAB_SERVER_V4, LAB_SERVER_V6],
    ] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      await run('ip', ['-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    await makeKeys(n.dir);
    record.sshdPid = await startSshd(n.dir, n.serverNetns);
    save();
    return record;
  } catch (error) {
    await labDown({ name: options.name, stateDir: options.stateDir });
    throw error;
  }
}

export function readLab(n: LabNames): LabRecordT | null {
  const file = join(n.dir, 'lab.json');
  if (!existsSync(file)) return null;
  return parseJsonFile(LabRecord, readFileSync(file, 'utf8'), file);
}

/** Is this pid still the lab's sshd (and not a recycled pid of someone else)? */
function isOurSshd(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('sshd') && cmdline.includes(dir);
  } catch {
    return false;
  }
}

/** Removes the lab: its sshd (by recorded pid), the namespaces `lab up` recorded, its directory. An unknown lab is a no-op. */
export async function labDown(options: { name: string; stateDir?: string }): Promise<LabDownResultT> {
  const n = labNames(options.name, options.stateDir);
  const removed: string[] = [];
  const killed: number[] = [];
  let record: LabRecordT | null = null;
  try {
    record = readLab(n);
  } catch {
    // a corrupt lab.json must not stop the clean-up
  }
  const pids = [record?.sshdPid ?? null, readPidFile(join(n.dir, 'sshd.pid'))].filter((p): p is number => p !== null);
  for (const pid of new Set(pids)) {
    if (!isOurSshd(pid, n.dir)) continue;
    process.kill(pid, 'SIGTERM');
    killed.push(pid);
  }
  for (const pid of killed) {
    for (let i = 0; i < 30 && isOurSshd(pid, n.dir); i += 1) await new Promise((r) => setTimeout(r, 50));
    if (isOurSshd(pid, n.dir)) process.kill(pid, 'SIGKILL');
  }
  // Only namespaces this lab recorded, and only while they are the same namespace (not a new one of that name).
  for (const { netns, id } of record?.created ?? []) {
    if (!netnsExists(netns) || currentKey(netns) !== id) continue;
    await run('ip', ['netns', 'del', netns], { allowFailure: true });
    removed.push(netns);
  }
  if (existsSync(n.dir)) {
    rmSync(n.dir, { recursive: true, force: true });
    removed.push(n.dir);
  }
  return { name: n.name, removed, killed };
}

function currentKey(netns: string): string | null {
  try {
    return netnsKey(netns);
  } catch {
    return null;
  }
}

function readPidFile(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}
