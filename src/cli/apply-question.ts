import { createInterface } from 'node:readline/promises';
import { CancelledError } from '../errors.js';

/** Asks "apply?" on the terminal (stderr); anything but y/yes cancels. Resolves true: it asked. */
export async function askApply(question: string): Promise<true> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => {
    rl.on('SIGINT', () => resolve(''));
    void rl.question(question).then(resolve, () => resolve(''));
  });
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError('Not applied.');
  return true;
}
