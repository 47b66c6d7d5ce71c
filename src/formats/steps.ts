import { run } from '../run/runner.js';
import type { TransactionStepT } from './types.js';

export interface StepFailure {
  step: TransactionStepT;
  /** "nft -f - (nft tables): Error: … | …", the first lines of stderr on one line. */
  message: string;
  /** The first lines of its stderr as printed. */
  why: string;
}

const firstLines = (stderr: string, n: number): string[] => stderr.trim().split('\n').slice(0, n);

/**
 * Runs stored transactions in order, each one program (argv only, through src/run/). With `stopOnError`
 * (apply) the first failure ends the run; without it (rollback) every step is tried, since each one
 * restores a different backend. Returns the failures.
 */
export async function runSteps(
  netns: string | null,
  steps: TransactionStepT[],
  options: { stopOnError: boolean; timeoutMs: number },
): Promise<StepFailure[]> {
  const failures: StepFailure[] = [];
  for (const step of steps) {
    const r = await run(step.program, step.args, {
      netns,
      input: step.input,
      allowFailure: true,
      timeoutMs: options.timeoutMs,
      ...(step.env ? { env: step.env } : {}),
    });
    if (r.exitCode === 0) continue;
    const lines = firstLines(r.stderr || r.stdout, 6);
    failures.push({
      step,
      message: `${step.program} ${step.args.join(' ')} (${step.what}): ${lines.join(' | ')}`,
      why: lines.join('\n'),
    });
    if (options.stopOnError) break;
  }
  return failures;
}
