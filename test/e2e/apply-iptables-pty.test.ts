import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useStateDir } from '../helpers/cli.js';
import { createNetns, deleteNetns, inNetns, isRoot } from '../helpers/netns.js';
import { killAllPtys, spawnCli } from './pty.js';
import { killWatchdog, versionRecord, waitFor } from './state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

// A docker-like iptables-nft host with counted traffic; the change restricts DOCKER-USER.
const BASE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
[11:660] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -j DOCKER
[7:420] -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
[3:180] -A DOCKER-USER -j RETURN
COMMIT
`;
const CHANGE =
  '*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -s 192.0.2.0/24 -j DROP\n-A DOCKER-USER -j RETURN\nCOMMIT\n';

describe.skipIf(!isRoot)(
  'iptables changes at a terminal: hang-up and SIGKILL of the CLI restore the rules exactly',
  () => {
    const state = useStateDir();
    let ns = '';
    let dir = '';
    const save = (): string =>
      inNetns(ns, 'iptables-nft-save', ['-c'])
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    const changed = (): boolean => save().includes('192.0.2.0/24');
    beforeEach(() => {
      ns = createNetns('ipty');
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-ipty-'));
      inNetns(ns, 'iptables-nft-restore', ['-w', '5', '-c'], BASE);
      writeFileSync(join(dir, 'docker-user.rules'), CHANGE);
    });
    afterEach(() => {
      killAllPtys();
      killWatchdog(state.path);
      deleteNetns(ns);
      removeStateDir(dir);
    });
    const start = () =>
      spawnCli([
        '--netns',
        ns,
        '--state-dir',
        state.path,
        'apply',
        join(dir, 'docker-user.rules'),
        '--yes',
        '--no-probes',
        '--timeout',
        '8',
      ]);

    it('hang-up: rolled back at once; iptables-save equal, counters of untouched rules kept', async () => {
      const before = save();
      const s = start();
      await s.waitForOutput(/Type the code/, 30_000);
      expect(changed()).toBe(true);
      s.hangUp();
      expect(await waitFor(() => !changed(), 10_000, 50)).toBe(true);
      expect(save()).toBe(before);
      expect(await waitFor(() => versionRecord(state.path, 2).change.state === 'rolled-back', 5000, 50)).toBe(true);
      expect(versionRecord(state.path, 2).change.rollbackReason).toBe('hangup');
    });

    it('SIGKILL of the CLI: the watchdog restores at the deadline; iptables-save equal, counters kept', async () => {
      const before = save();
      const s = start();
      await s.waitForOutput(/Type the code/, 30_000);
      expect(changed()).toBe(true);
      s.kill('SIGKILL');
      expect(await waitFor(() => !changed(), 20_000, 100)).toBe(true);
      expect(save()).toBe(before);
      expect(await waitFor(() => versionRecord(state.path, 2).change.state === 'rolled-back', 5000, 50)).toBe(true);
      expect(versionRecord(state.path, 2).change.rollbackReason).toBe('timeout');
    });
  },
);
