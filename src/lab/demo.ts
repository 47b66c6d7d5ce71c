import { join } from 'node:path';
import { run } from '../run/runner.js';
import { labDown, labUp } from './lab.js';
import { sshArgs } from './sshd.js';
import { fwRemote, fwChild, RULESETS, type FwChild } from './fw-child.js';
import { openEchoSession, type EchoSession } from './echo-session.js';
import type { LabRecordT } from './schema.js';
import type { LabDemoResultT } from '../contracts/lab-demo.js';
import type { LogResultT } from '../contracts/log.js';
import type { PlanResultT } from '../contracts/plan.js';
import type { StatusResultT } from '../contracts/status.js';
import type { ChangeOutcomeT } from '../history/schema.js';

type Say = (text: string) => void;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `   │ ${l}`)
    .join('\n');
}

/** A brand-new SSH login from the admin namespace: does it get in within `seconds`? */
async function newLogin(lab: LabRecordT, seconds: number): Promise<boolean> {
  const r = await run('ssh', [...sshArgs(lab.dir, ['-T', '-o', `ConnectTimeout=${seconds}`]), 'true'], {
    netns: lab.adminNetns,
    allowFailure: true,
    timeoutMs: (seconds + 3) * 1000,
  });
  return r.exitCode === 0;
}

/**
 * The newcomer's tour: a lab, detect, a safe change confirmed over a new session, snapshot, log,
 * then the lockout demo — a live SSH session freezes under a bad ruleset and comes back when the
 * watchdog rolls it back at the deadline. The lab is always removed at the end.
 */
export async function runDemo(options: {
  name: string;
  stateDir: string;
  timeoutSeconds: number;
  say: Say;
}): Promise<LabDemoResultT> {
  const { say, stateDir } = options;
  const started = Date.now();
  const fw = fwChild(stateDir);
  const show = async (args: string[]): Promise<void> => {
    const r = await fw(args);
    say(indent(r.stdout + (r.exitCode !== 0 ? r.stderr : '')));
  };
  const result: LabDemoResultT = {
    lab: options.name,
    lockoutPredicted: false,
    sessionFroze: false,
    newLoginRefused: false,
    rolledBack: false,
    rollbackLatenessMs: null,
    sessionCameBack: false,
    newLoginWorksAgain: false,
    rollbackOutcome: null,
    durationMs: 0,
  };
  say('fwsafe demo: changing a remote firewall over SSH without ever locking yourself out.\n');
  say('1. A disposable lab: two network namespaces joined by a virtual cable, a real sshd on the "server".');
  const lab = await labUp({ name: options.name, stateDir });
  const ns = ['--netns', lab.serverNetns];
  let session: EchoSession | null = null;
  try {
    say(
      `   admin ${lab.admin.v4}  ⇄  server ${lab.server.v4} (sshd pid ${lab.sshdPid}). Nothing outside these two namespaces is touched.\n`,
    );
    say('2. What is on the server? `fwsafe detect` names every backend and who owns which rules.');
    await show([...ns, 'detect']);

    say('\n3. A safe change, done properly: apply a baseline firewall under a dead-man switch, then confirm');
    say('   it from a NEW SSH session — which proves that new logins still work.');
    const applied = await fw([
      ...ns,
      'apply',
      join(RULESETS, 'baseline.nft'),
      '--no-wait',
      '--yes',
      '--timeout',
      '60',
      '--json',
    ]);
    const changeId = (applied.json as { changeId?: string } | null)?.changeId;
    if (!changeId) throw new Error(`applying rulesets/baseline.nft failed: ${applied.stderr || applied.stdout}`);
    say(
      `   applied change ${changeId}; confirming it over a new SSH session (ssh root@${lab.server.v4} fwsafe confirm)…`,
    );
    const confirm = await run('ssh', [...sshArgs(lab.dir, ['-T']), fwRemote(stateDir, ['confirm'])], {
      netns: lab.adminNetns,
      allowFailure: true,
      env: { NO_COLOR: '1' },
    });
    say(indent(confirm.stdout || confirm.stderr));

    say('\n4. Every state is a version: `fwsafe snapshot` records one, `fwsafe log` lists them.');
    await show([...ns, 'snapshot', '-m', 'after the baseline']);
    await show([...ns, 'log']);

    say('\n5. Now the classic mistake: rulesets/lockout-demo.nft "tightens" input but forgets SSH and');
    say('   established traffic. `fwsafe plan`, run in an SSH session on the server, predicts the lockout');
    say("   before anything is applied — probing with real packets from the admin's own address:");
    result.lockoutPredicted = await showPlanFindings(lab, stateDir, say);

    say('\n6. An admin is logged in over SSH (a live session that echoes back what we type):');
    session = openEchoSession(lab);
    const works = await session.send('hello-before-change', 5000);
    say(
      `   typed "hello-before-change" → ${works ? 'echoed back: the session works.' : 'no echo (the session did not start?)'}`,
    );

    say(`\n7. Suppose they apply it anyway (--force), with a ${options.timeoutSeconds} s confirmation window:`);
    await show([
      ...ns,
      'apply',
      join(RULESETS, 'lockout-demo.nft'),
      '--no-wait',
      '--yes',
      '--force',
      '--timeout',
      String(options.timeoutSeconds),
    ]);
    const [echoed, loggedIn] = await Promise.all([session.send('hello-during-lockout', 2000), newLogin(lab, 2)]);
    result.sessionFroze = !echoed;
    result.newLoginRefused = !loggedIn;
    say(`   typed "hello-during-lockout" → ${echoed ? 'echoed (?)' : 'no echo within 2 s: the session is frozen.'}`);
    say(
      `   a new SSH login → ${loggedIn ? 'got in (?)' : 'times out: the admin cannot get in to type `fwsafe confirm` either.'}`,
    );
    say('   With iptables-apply or ferm, this is where it ends: when the frozen session hangs up or the tool');
    say('   is killed, the new rules stay — locked out for good, a trip to the console. fwsafe armed two');
    say('   guards, each in its own session, BEFORE applying; only a confirmation can stop them. `fwsafe status`:');
    await show([...ns, 'status']);

    say('\n8. Waiting for the deadline (nobody can confirm)…');
    await waitUntilSettled(fw, ns, options.timeoutSeconds);
    const change = await lastChange(fw, ns);
    result.rolledBack = change?.state === 'rolled-back';
    result.rollbackOutcome = change
      ? `${change.state}${change.rollbackReason ? ` (${change.rollbackReason})` : ''}`
      : null;
    if (change?.rolledBackAt && change.deadline)
      result.rollbackLatenessMs = Date.parse(change.rolledBackAt) - Date.parse(change.deadline);
    say(
      `   A guard ${result.rolledBack ? `rolled the change back ${result.rollbackLatenessMs ?? '?'} ms after the deadline, in one nft transaction,` : 'did NOT roll back (?)'}`,
    );
    say('   restoring only the table the change touched.');
    const rolledBackSeen = Date.now();
    result.sessionCameBack = await session.waitFor('hello-during-lockout', 20_000);
    say(
      result.sessionCameBack
        ? `   The queued "hello-during-lockout" arrived ${((Date.now() - rolledBackSeen) / 1000).toFixed(1)} s later (TCP retransmits it): the session is back.`
        : '   The session did not come back (?)',
    );
    result.newLoginWorksAgain = await newLogin(lab, 5);
    say(`   a new SSH login → ${result.newLoginWorksAgain ? 'works again.' : 'still refused (?)'}`);

    say('\n9. The history says what happened (`fwsafe log`):');
    await show([...ns, 'log', '-n', '4']);
    say('\nThat is the promise: no lockout survives the deadline — whatever happens to your terminal,');
    say('your SSH session or the fwsafe process. Next: docs/getting-started.md, `fwsafe lab up` to play.');
    return result;
  } finally {
    session?.close();
    say('\n10. Cleaning up: `fwsafe lab down` (after rolling back anything still pending).');
    const status = await fw([...ns, 'status', '--json']);
    if ((status.json as Partial<StatusResultT> | null)?.pending) await fw([...ns, 'rollback', '--json']);
    await labDown({ name: options.name, stateDir });
    result.durationMs = Date.now() - started;
  }
}

/** Runs `fwsafe plan` on the lockout ruleset and narrates its blocking findings; true if SSH lockout is predicted. */
async function showPlanFindings(lab: LabRecordT, stateDir: string, say: Say): Promise<boolean> {
  // Planned from inside an SSH session, as an admin would: SSH_CONNECTION names their real address.
  const plan = await run(
    'ssh',
    [...sshArgs(lab.dir, ['-T']), fwRemote(stateDir, ['plan', join(RULESETS, 'lockout-demo.nft'), '--json'])],
    {
      netns: lab.adminNetns,
      allowFailure: true,
      env: { NO_COLOR: '1' },
    },
  );
  let findings: PlanResultT['findings'] | undefined;
  try {
    findings = (JSON.parse(plan.stdout) as Partial<PlanResultT>).findings;
  } catch {
    // not a plan: said below
  }
  if (!findings) {
    say(
      `   (fwsafe plan is not available here — skipping this step: ${(plan.stderr || plan.stdout).trim().split('\n')[0]})`,
    );
    return false;
  }
  const errors = findings.filter((f) => f.severity === 'error');
  for (const f of errors) say(`   [ERROR] ${f.code}: ${f.message}`);
  say('   `fwsafe apply` refuses such a change (exit 5) unless forced.');
  return errors.some((f) => f.code.includes('SSH') || f.code.includes('LOGIN'));
}

/** Polls `fwsafe status --json` until nothing is pending (bounded: deadline + 15 s). */
async function waitUntilSettled(fw: FwChild, ns: string[], timeoutSeconds: number): Promise<void> {
  const until = Date.now() + (timeoutSeconds + 15) * 1000;
  while (Date.now() < until) {
    const status = await fw([...ns, 'status', '--json']);
    if ((status.json as Partial<StatusResultT> | null)?.pending === null) return;
    await sleep(250);
  }
}

async function lastChange(fw: FwChild, ns: string[]): Promise<ChangeOutcomeT | null> {
  const log = await fw([...ns, 'log', '--json']);
  const versions = (log.json as Partial<LogResultT> | null)?.versions ?? [];
  return versions.find((v) => v.change !== null)?.change ?? null;
}
