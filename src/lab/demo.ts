import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { run } from '../run/runner.js';
import { spawnPiped } from '../run/spawn.js';
import { labDown, labUp } from './lab.js';
import { sshArgs } from './sshd.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const BIN = join(ROOT, 'bin', 'run.js');
const RULESETS = join(ROOT, 'rulesets');

export interface DemoResult {
  lab: string;
  lockoutPredicted: boolean;
  sessionFroze: boolean;
  rolledBack: boolean;
  sessionCameBack: boolean;
  rollbackOutcome: string | null;
}

type Say = (text: string) => void;

/** One line echoed back through the SSH session within `ms`, or null. */
function echo(session: ChildProcess, buffer: { text: string }, line: string, ms: number): Promise<string | null> {
  session.stdin!.write(line + '\n');
  return waitFor(buffer, line, ms);
}

function waitFor(buffer: { text: string }, line: string, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = (): void => {
      if (buffer.text.includes(line)) resolve(line);
      else if (Date.now() - started > ms) resolve(null);
      else setTimeout(tick, 50);
    };
    tick();
  });
}

/**
 * The newcomer's tour: a lab, detect, snapshot, a safe change confirmed, then the lockout demo —
 * an SSH session freezes under a bad ruleset and comes back when the watchdog rolls it back.
 */
export async function runDemo(options: { name: string; stateDir: string; timeoutSeconds: number; say: Say }): Promise<DemoResult> {
  const { say } = options;
  const result: DemoResult = { lab: options.name, lockoutPredicted: false, sessionFroze: false, rolledBack: false, sessionCameBack: false, rollbackOutcome: null };
  const fw = async (args: string[], show = true): Promise<{ stdout: string; exitCode: number | null }> => {
    const r = await run(process.execPath, [BIN, '--state-dir', options.stateDir, ...args], { allowFailure: true, env: { NO_COLOR: '1' } });
    if (show) say(indent(r.stdout + (r.exitCode !== 0 ? r.stderr : '')));
    return r;
  };
  let session: ChildProcess | null = null;
  say('fwsafe demo: changing a remote firewall over SSH without ever locking yourself out.\n');
  say('1. A disposable lab: two network namespaces joined by a virtual cable, a real sshd on the "server".');
  const lab = await labUp({ name: options.name, stateDir: options.stateDir });
  const ns = ['--netns', lab.serverNetns];
  try {
    say(`   admin ${lab.admin.v4}  ⇄  server ${lab.server.v4} (sshd pid ${lab.sshdPid})\n`);
    say('2. What is on the server? `fwsafe detect` names every backend and who owns which rules.');
    await fw([...ns, 'detect']);
    say('3. A safe change, done properly: apply a baseline firewall under a dead-man switch, then confirm');
    say('   it from a NEW SSH session — which proves that new logins still work.');
    const applied = await fw([...ns, 'apply', join(RULESETS, 'baseline.nft'), '--no-wait', '--timeout', '60', '--json'], false);
    const change = JSON.parse(applied.stdout) as { changeId?: string };
    say(`   applied change ${change.changeId}; confirming over SSH…`);
    const confirm = await run('ssh', [...sshArgs(lab.dir, ['-T']), process.execPath, BIN, '--state-dir', options.stateDir, 'confirm'], { netns: lab.adminNetns, allowFailure: true, env: { NO_COLOR: '1' } });
    say(indent(confirm.stdout || confirm.stderr));
    say('4. Every state is a version: `fwsafe snapshot` and `fwsafe log`.');
    await fw([...ns, 'snapshot', '-m', 'after the baseline']);
    await fw([...ns, 'log']);

    say('5. Now the classic mistake: rulesets/lockout-demo.nft "tightens" input but forgets SSH and');
    say('   established traffic. `fwsafe plan` predicts the lockout before anything is applied:');
    const plan = await fw([...ns, 'plan', join(RULESETS, 'lockout-demo.nft'), '--json'], false);
    const findings = (JSON.parse(plan.stdout).findings ?? []) as { code: string; severity: string; message: string }[];
    for (const f of findings.filter((x) => x.severity === 'error')) say(`   [ERROR] ${f.code}: ${f.message}`);
    result.lockoutPredicted = findings.some((f) => f.severity === 'error' && f.code.startsWith('SSH_'));

    say('\n6. An admin is logged in over SSH (a live session that echoes what we type):');
    const buffer = { text: '' };
    session = spawnPiped('ssh', [...sshArgs(lab.dir, ['-T', '-o', 'ServerAliveInterval=0']), 'cat'], { netns: lab.adminNetns });
    session.stdout!.on('data', (d: Buffer) => {
      buffer.text += d.toString();
    });
    session.on('error', () => undefined);
    const first = await echo(session, buffer, 'hello-before-change', 5000);
    say(`   typed "hello-before-change" → ${first ? 'echoed back: the session works' : 'no echo (?)'}`);

    say(`\n7. Suppose they apply it anyway (--force), with a ${options.timeoutSeconds} s confirmation window:`);
    await fw([...ns, 'apply', join(RULESETS, 'lockout-demo.nft'), '--no-wait', '--force', '--timeout', String(options.timeoutSeconds)]);
    const frozen = await echo(session, buffer, 'hello-during-lockout', 2000);
    result.sessionFroze = frozen === null;
    say(`   typed "hello-during-lockout" → ${frozen ? 'echoed (?)' : 'no echo within 2 s: the session is frozen. The admin cannot type `fwsafe confirm`.'}`);
    say('   With iptables-apply or ferm, a session that hangs up here leaves these rules in place: locked out');
    say('   for good. fwsafe armed a watchdog in its own session before applying; nothing can stop it but a');
    say('   confirmation.');

    say('\n8. Waiting for the deadline…');
    const until = Date.now() + (options.timeoutSeconds + 15) * 1000;
    while (Date.now() < until) {
      const status = await fw([...ns, 'status', '--json'], false);
      if (!(JSON.parse(status.stdout) as { pending: unknown }).pending) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const back = await waitFor(buffer, 'hello-during-lockout', 20_000);
    result.sessionCameBack = back !== null;
    say(`   ${back ? 'The watchdog rolled the change back: the queued "hello-during-lockout" arrived. The session is back.' : 'The session did not come back (?)'}`);

    say('\n9. The history says what happened:');
    const log = await fw([...ns, 'log', '--json'], false);
    const versions = (JSON.parse(log.stdout) as { versions: { id: number; change: { state: string; rollbackReason: string | null } | null }[] }).versions;
    const last = versions.find((v) => v.change !== null);
    result.rollbackOutcome = last?.change ? `${last.change.state}${last.change.rollbackReason ? ` (${last.change.rollbackReason})` : ''}` : null;
    result.rolledBack = last?.change?.state === 'rolled-back';
    await fw([...ns, 'log', '-n', '4']);
    say('That is the promise: no lockout survives the deadline — whatever happens to your terminal.');
    return result;
  } finally {
    session?.stdin?.end();
    session?.kill('SIGTERM');
    say('\n10. Cleaning up: `fwsafe lab down`.');
    await labDown({ name: options.name, stateDir: options.stateDir });
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => '   │ ' + l)
    .join('\n');
}
