import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, fwsafe, useStateDir } from '../helpers/cli.js';
import { inNetns, isRoot } from '../helpers/netns.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';
import { sshArgs } from '../../src/lab/sshd.js';

const AGENT = join(ROOT, 'dist', 'src', 'probes', 'agent.js');
const ADMIN = '198.51.100.1';
const SERVER = '198.51.100.2';
// An Ubuntu-style host: INPUT drops by default; lo, established, ssh and http allowed.
const UBUNTU = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
COMMIT
`;
const RULES_V4 = UBUNTU.replace(
  '--dport 80 -j ACCEPT\n',
  '--dport 80 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n',
);

describe.skipIf(!isRoot)('iptables hosts in the lab, with a real sshd: an admin logged in over SSH opens 443', () => {
  const state = useStateDir();
  const labs: string[] = [];
  const kids: ChildProcess[] = [];
  afterEach(() => {
    killWatchdog(state.path);
    for (const k of kids.splice(0)) k.kill('SIGKILL');
    for (const name of labs.splice(0)) {
      fwsafe(['lab', 'down', name, '--state-dir', state.path]);
      for (const ns of [`${name}-admin`, `${name}-server`]) spawnSync('ip', ['netns', 'del', ns]);
    }
  });

  for (const variant of ['nft', 'legacy'] as const) {
    it(`iptables-${variant}: the SSH session survives, 443 answers after apply, confirm from a new session keeps it`, async () => {
      const name = `fwsafe-test-iptl${variant[0]}-${process.pid}`;
      labs.push(name);
      const up = fwsafe(['lab', 'up', name, '--state-dir', state.path, '--json']);
      expect(up.status, up.stdout + up.stderr).toBe(0);
      const [server, admin, dir] = [`${name}-server`, `${name}-admin`, up.json.dir as string];
      inNetns(server, `iptables-${variant}-restore`, ['-w', '5'], UBUNTU);
      const listener = spawn('ip', ['netns', 'exec', server, process.execPath, AGENT, 'listen', '443'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      kids.push(listener);
      let ready = '';
      listener.stdout!.on('data', (d: Buffer) => (ready += d.toString()));
      expect(await waitFor(() => ready.includes('ready'), 5000)).toBe(true);
      const connect443 = (): string =>
        inNetns(admin, process.execPath, [AGENT, 'connect', ADMIN, SERVER, '443', '1500']).trim();
      expect(connect443()).toBe('dropped');

      // The admin's session: ssh running cat, every line echoed back through the TCP connection.
      const session = spawn(
        'ip',
        ['netns', 'exec', admin, 'ssh', ...sshArgs(dir, ['-T', '-o', 'ServerAliveInterval=0']), 'cat'],
        { stdio: ['pipe', 'pipe', 'ignore'] },
      );
      kids.push(session);
      let seen = '';
      session.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
      session.stdin!.write('before\n');
      expect(await waitFor(() => seen.includes('before'), 10_000)).toBe(true);

      const file = join(mkdtempSync(join(tmpdir(), 'fwsafe-iptl-')), 'rules.v4');
      writeFileSync(file, RULES_V4);
      const env = { SSH_CONNECTION: `${ADMIN} 50022 ${SERVER} 22` };
      const applied = fwsafe(
        ['--netns', server, '--state-dir', state.path, 'apply', file, '--no-wait', '--json', '--timeout', '60'],
        { env, timeoutMs: 120_000 },
      );
      expect(applied.status, applied.stdout + applied.stderr).toBe(0);
      expect(applied.json.state).toBe('pending');
      session.stdin!.write('after\n');
      expect(await waitFor(() => seen.includes('after'), 5000)).toBe(true);
      expect(connect443()).toBe('accepted');
      const confirmed = fwsafe(['--state-dir', state.path, 'confirm', '--json'], {
        env: { SSH_CONNECTION: `${ADMIN} 50023 ${SERVER} 22` },
      });
      expect(confirmed.status, confirmed.stdout).toBe(0);
      expect(connect443()).toBe('accepted');
      rmSync(join(file, '..'), { recursive: true, force: true });
    });
  }
});
