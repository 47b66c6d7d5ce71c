// `confirm` proves a new connection: in the lab, with a real sshd, the session that applied a change and
// one opened before it are refused (exit 17); a connection opened after the change is accepted, and the
// record names it (the sshd process, its start time, the peer address from the kernel's socket table).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { isRoot, liveRuleset, loadRuleset } from '../helpers/netns.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';
import { sshArgs } from '../../src/lab/sshd.js';

const BASE = `table inet fwsafe_t {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
`;
const CHANGE = `table inet fwsafe_t
delete table inet fwsafe_t
table inet fwsafe_t {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
    tcp dport 8080 counter accept
  }
}
`;

describe.skipIf(!isRoot)('confirm proves a new SSH connection (the lab, a real sshd)', () => {
  const state = useStateDir();
  const labs: string[] = [];
  afterEach(() => {
    killWatchdog(state.path);
    for (const name of labs.splice(0)) {
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
      for (const ns of [`${name}-admin`, `${name}-server`])
        if (existsSync(`/run/netns/${ns}`)) spawnSync('ip', ['netns', 'del', ns]);
    }
  });

  it('refused from the applying session and from an older one (exit 17); accepted from a new one, which the record names', async () => {
    const name = `fwsafe-test-cs-${process.pid}`;
    labs.push(name);
    const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(up.status, up.stderr).toBe(0);
    const server = `${name}-server`;
    loadRuleset(server, BASE);
    const proposal = join(state.path, 'change.nft');
    writeFileSync(proposal, CHANGE);
    const fw = `${process.execPath} ${BIN} --state-dir ${state.path}`;
    const ssh = (command: string) => [
      'netns',
      'exec',
      `${name}-admin`,
      'ssh',
      ...sshArgs(up.json.dir, ['-T']),
      command,
    ];

    // An older session: connected before the change, it waits for a line, then tries to confirm.
    const older = spawn('ip', ssh(`echo connected; read line; ${fw} confirm --json; echo EXIT=$?`), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let olderOut = '';
    older.stdout.on('data', (d) => (olderOut += d));
    const olderDone = new Promise<void>((res) => older.on('exit', () => res()));
    try {
      expect(await waitFor(() => olderOut.includes('connected'), 15_000), 'the older session connected').toBe(true);

      // The applying session applies, then confirms from the same connection: refused.
      const applying = spawnSync(
        'ip',
        ssh(
          `${fw} --netns ${server} apply ${proposal} --no-wait --yes --no-probes --timeout 120 --json > ${state.path}/apply.json; ${fw} confirm --json; echo EXIT=$?`,
        ),
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(applying.stdout, applying.stderr).toMatch(/EXIT=17/);
      const refused = JSON.parse(applying.stdout.slice(0, applying.stdout.lastIndexOf('EXIT=')));
      expect(refused.error.code).toBe('SESSION_PREDATES_CHANGE');
      expect(refused.error.message).toMatch(
        /^This session predates the change: open a new SSH connection and confirm there \(this is the SSH connection that applied it\)/,
      );
      expect(liveRuleset(server)).toContain('dport 8080');

      // The older session: refused as well.
      older.stdin.write('go\n');
      await olderDone;
      expect(olderOut).toMatch(/EXIT=17/);
      expect(olderOut).toMatch(/opened before the change was applied/);

      // A new connection (`fwsafe lab ssh`): accepted, and the record says which connection confirmed.
      const fresh = fwsafe([
        'lab',
        'ssh',
        name,
        '--state-dir',
        state.path,
        '--',
        ...fw.split(' '),
        'confirm',
        '--json',
      ]);
      expect(fresh.status, fresh.stdout + fresh.stderr).toBe(0);
      await expectContract('confirm', fresh.json);
      const via = fresh.json.via;
      expect(via).toMatchObject({
        method: 'new-connection',
        newConnectionProven: true,
        connection: { kind: 'ssh' },
        appliedFrom: { kind: 'ssh' },
      });
      expect(via.connection.client).toMatch(/^198\.51\.100\.1 \d+$/);
      expect(via.connection.client).not.toBe(via.appliedFrom.client);
      expect(via.connection.startTicks).toBeGreaterThan(via.appliedFrom.startTicks);
      const log = fwsafe(['log', '--state-dir', state.path, '--json']);
      expect(log.json.versions[0].change).toMatchObject({
        state: 'confirmed',
        confirmedVia: { method: 'new-connection', connection: { client: via.connection.client } },
      });
      expect(fwsafe(['log', '--state-dir', state.path]).stdout).toMatch(
        /over SSH connection from 198\.51\.100\.1 port \d+ .*: a new connection, proven/,
      );
      expect(liveRuleset(server)).toContain('dport 8080');
    } finally {
      if (older.exitCode === null) older.kill('SIGKILL');
    }
  }, 120_000);

  it('--from-this-session keeps it from the applying session, recorded as not proven', () => {
    const name = `fwsafe-test-cf-${process.pid}`;
    labs.push(name);
    const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
    expect(up.status, up.stderr).toBe(0);
    const server = `${name}-server`;
    loadRuleset(server, BASE);
    const proposal = join(state.path, 'change.nft');
    writeFileSync(proposal, CHANGE);
    const fw = `${process.execPath} ${BIN} --state-dir ${state.path}`;
    const r = fwsafe(
      [
        'lab',
        'ssh',
        name,
        '--state-dir',
        state.path,
        '--',
        'sh',
        '-c',
        `'${fw} --netns ${server} apply ${proposal} --no-wait --yes --no-probes --timeout 120 >/dev/null && ${fw} confirm --from-this-session --json'`,
      ],
      { timeoutMs: 90_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.via).toMatchObject({
      method: 'from-this-session',
      newConnectionProven: false,
      connection: { kind: 'ssh' },
    });
    expect(r.json.via.connection.sshdPid).toBe(r.json.via.appliedFrom.sshdPid);
    expect(fwsafe(['log', '--state-dir', state.path]).stdout).toMatch(/from-this-session, new connection NOT proven/);
  }, 120_000);
});
