import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeys, startSshd } from '../../src/lab/sshd.js';
import { createNetns, deleteNetns, inNetns, loadRuleset } from '../helpers/netns.js';
import { ROOT } from '../helpers/cli.js';

// A fleet lab: a controller namespace with a bridge (10.77.0.1/24) and N host namespaces on it
// (10.77.0.11, .12, …), each with its own real sshd and keys, its own fwsafe state dir and proposal dir.
// All namespaces share one filesystem: per-host directories keep the hosts apart.
export const SUBNET = '10.77.0';
export const CONTROLLER_ADDR = `${SUBNET}.1`;

export interface FleetHost {
  name: string;
  netns: string;
  address: string;
  dir: string;
  stateDir: string;
  remoteDir: string;
  sshdPid: number;
}

export interface FleetLab {
  dir: string;
  controller: string;
  hosts: FleetHost[];
  collections: string;
  env: Record<string, string>;
}

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Builds the collection tarball from ansible/ and installs it into a private collections path. */
export function installCollection(dir: string): string {
  const build = join(dir, 'build');
  mkdirSync(build, { recursive: true });
  sh('ansible-galaxy', ['collection', 'build', join(ROOT, 'ansible'), '--output-path', build, '--force']);
  const tarball = join(build, 'fwsafe-fwsafe-0.1.0.tar.gz');
  const collections = join(dir, 'collections');
  sh('ansible-galaxy', ['collection', 'install', tarball, '-p', collections, '--force']);
  return collections;
}

export async function fleetUp(count: number, baseline: string): Promise<FleetLab> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsafe-fleet-'));
  const lab: FleetLab = { dir, controller: '', hosts: [], collections: '', env: {} };
  try {
    lab.controller = createNetns('fc');
    sh('ip', ['-n', lab.controller, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', lab.controller, 'addr', 'add', `${CONTROLLER_ADDR}/24`, 'dev', 'br0']);
    sh('ip', ['-n', lab.controller, 'link', 'set', 'br0', 'up']);
    for (let i = 1; i <= count; i += 1) {
      const name = `h${i}`;
      const netns = createNetns(`f${i}`);
      const address = `${SUBNET}.${10 + i}`;
      const hostDir = join(dir, name);
      mkdirSync(hostDir, { mode: 0o700 });
      const peer = `fwfl${process.pid % 100000}${i}`.slice(0, 15);
      sh('ip', ['-n', lab.controller, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      sh('ip', ['-n', lab.controller, 'link', 'set', peer, 'master', 'br0', 'up']);
      sh('ip', ['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      loadRuleset(netns, baseline);
      await makeKeys(hostDir);
      const host: FleetHost = {
        name,
        netns,
        address,
        dir: hostDir,
        stateDir: join(hostDir, 'state'),
        remoteDir: join(hostDir, 'proposals'),
        sshdPid: 0,
      };
      lab.hosts.push(host);
      host.sshdPid = await startSshd(hostDir, netns, [address]);
    }
    lab.collections = installCollection(dir);
    writeInventory(lab, {});
    lab.env = ansibleEnv(lab);
    return lab;
  } catch (error) {
    fleetDown(lab);
    throw error;
  }
}

/** Removes everything: sshds and leftovers in the namespaces (deleteNetns kills what is inside), the namespaces, the dir. */
export function fleetDown(lab: FleetLab): void {
  for (const host of lab.hosts) {
    try {
      process.kill(host.sshdPid, 'SIGKILL');
    } catch {
      // already gone
    }
    deleteNetns(host.netns);
  }
  if (lab.controller) deleteNetns(lab.controller);
  rmSync(lab.dir, { recursive: true, force: true });
}

/** The host's state back to the baseline ruleset and an empty fwsafe state (between cases). */
export function resetHost(host: FleetHost, baseline: string): void {
  inNetns(host.netns, 'nft', ['flush', 'ruleset']);
  loadRuleset(host.netns, baseline);
  rmSync(host.stateDir, { recursive: true, force: true });
  rmSync(host.remoteDir, { recursive: true, force: true });
  // sshd appends (O_APPEND): truncating starts the case's count of logins afresh.
  writeFileSync(join(host.dir, 'sshd.log'), '');
}

export function writeInventory(lab: FleetLab, hostVars: Record<string, Record<string, unknown>>): string {
  const hosts: Record<string, unknown> = {};
  for (const h of lab.hosts) {
    hosts[h.name] = {
      ansible_host: h.address,
      ansible_ssh_private_key_file: join(h.dir, 'id_ed25519'),
      fwsafe_state_dir: h.stateDir,
      fwsafe_remote_dir: h.remoteDir,
      ...hostVars[h.name],
    };
  }
  const inventory = {
    all: {
      hosts,
      vars: {
        ansible_user: 'root',
        ansible_python_interpreter: '/usr/bin/python3',
        ansible_ssh_common_args: `-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=${join(lab.dir, 'known_hosts')} -o BatchMode=yes`,
        ansible_remote_tmp: join(lab.dir, 'remote-tmp'),
        fwsafe_executable: join(ROOT, 'bin', 'run.js'),
      },
    },
  };
  const path = join(lab.dir, 'inventory.json');
  writeFileSync(path, JSON.stringify(inventory, null, 2));
  return path;
}

function ansibleEnv(lab: FleetLab): Record<string, string> {
  const cfg = join(lab.dir, 'ansible.cfg');
  writeFileSync(
    cfg,
    ['[defaults]', 'retry_files_enabled = False', 'interpreter_python = /usr/bin/python3', ''].join('\n'),
  );
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: lab.dir,
    USER: 'root',
    LANG: 'C.UTF-8',
    ANSIBLE_CONFIG: cfg,
    ANSIBLE_HOME: join(lab.dir, 'ansible-home'),
    ANSIBLE_COLLECTIONS_PATH: lab.collections,
    ANSIBLE_LOCAL_TEMP: join(lab.dir, 'local-tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(lab.dir, 'cp'),
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_TIMEOUT: '10',
  };
}

/** The host's live ruleset (nft -s, in its namespace: the test's own view, not fwsafe's; counters left out). */
export const hostRuleset = (host: FleetHost): string => inNetns(host.netns, 'nft', ['-s', 'list', 'ruleset']);

/** Reads a fwsafe state file of a host, or null. */
export function readState(host: FleetHost, file: string): string | null {
  const path = join(host.stateDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** ssh client processes of ours (their argv names the lab dir), left behind by a killed controller. */
export function ourSshPids(lab: FleetLab): number[] {
  const out = spawnSync('pgrep', ['-x', 'ssh'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(lab.dir);
      } catch {
        return false;
      }
    });
}
