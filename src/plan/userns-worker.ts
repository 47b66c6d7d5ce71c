// The unprivileged planner's worker: started only by plan-in-userns.ts through `unshare -rnm`. As root of
// that user namespace it plans with the root code path; it first gives itself a private /run (for
// /run/netns and the xtables lock), which it can do only because the mount namespace is its own.
import { mkdirSync } from 'node:fs';
import { run } from '../run/runner.js';
import { toFwsafeError } from '../errors.js';
import { inChildUserNamespace } from './userns.js';
import type { WorkerRequest } from './plan-in-userns.js';

async function main(): Promise<void> {
  // Never as real root: a mount over /run in the host's mount namespace would hide the host's /run.
  if (process.getuid?.() !== 0 || !inChildUserNamespace()) {
    process.stderr.write('fwsafe: the unprivileged planner runs only inside its own user namespace.\n');
    process.exit(9);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerRequest;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'fwsafe-run', '/run']);
    mkdirSync('/run/netns', { mode: 0o755 });
    const { createPlan } = await import('./create-plan.js');
    const plan = await createPlan({
      netns: null,
      proposalPath: request.proposalPath,
      against: request.against,
      probes: request.probes,
      adminAddresses: request.adminAddresses,
      iptables: request.iptables,
      pairWith: request.pairWith,
    });
    process.stdout.write(JSON.stringify({ plan }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: toFwsafeError(error).toJSON() }));
  }
}

await main();
