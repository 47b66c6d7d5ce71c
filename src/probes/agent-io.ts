import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';

const HERE = join(fileURLToPath(import.meta.url), '..');
// Compiled, the agent sits beside this module; run from the TypeScript sources (tests), use the build's.
/** The probe agent's script (agent.ts), run with node inside a probe namespace. */
export const AGENT = existsSync(join(HERE, 'agent.js'))
  ? join(HERE, 'agent.js')
  : join(HERE, '..', '..', 'dist', 'src', 'probes', 'agent.js');
/** A child's stdout as it arrives, and a bounded wait for a word in it. */
export function lines(child: ChildProcess): { text: string; wait: (word: string, ms: number) => Promise<boolean> } {
  const state = { text: '' };
  child.stdout?.on('data', (d: Buffer) => {
    state.text += d.toString();
  });
  return {
    get text() {
      return state.text;
    },
    wait: (word, ms) =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const tick = (): void =>
          state.text.includes(word) ? resolve(true) : Date.now() - t0 > ms ? resolve(false) : void setTimeout(tick, 20);
        tick();
      }),
  };
}

