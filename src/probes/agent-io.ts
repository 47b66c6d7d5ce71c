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

/** How long a responder may take to say "ready" (node's start in a namespace takes 0.1–0.3 s at load 16 here). */
export const READY_MS = 15_000;

/**
 * Waits for every responder's "ready" (bounded); throws when one never says it: probing without its
 * responder would report a refusal the rules did not make. The caller reports the probes as not run.
 */
export async function responding(children: ChildProcess[], ms = READY_MS): Promise<void> {
  const ready = await Promise.all(children.map((c) => lines(c).wait('ready', ms)));
  if (ready.includes(false)) throw new Error(`a probe responder did not start listening within ${ms / 1000} s`);
}

/** One probe of the agent's `many` role: what it sends, from where to where. */
export type AgentProbe = { kind: 'connect' | 'udp' | 'bulk'; src: string; dst: string; port: number };

/**
 * Probes from one namespace, batched: the requests made in the same tick go to one agent process (`many`),
 * since starting node per probe costs more on a loaded host than the probes themselves. Each request
 * resolves with the agent's word for it ("accepted", "rejected CODE", "dropped", "connected …").
 */
export function agentBatcher(
  start: (args: string[]) => Promise<{ stdout: string }>,
  ms: number,
): (p: AgentProbe) => Promise<string> {
  let pending: { p: AgentProbe; resolve: (word: string) => void }[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    const r = await start([
      AGENT,
      'many',
      String(ms),
      ...batch.map(({ p }) => `${p.kind},${p.src},${p.dst},${p.port}`),
    ]);
    const words = new Map<number, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\d+) (.*)$/.exec(line.trim());
      if (m) words.set(Number(m[1]), m[2]!);
    }
    for (const [i, { resolve }] of batch.entries()) resolve(words.get(i) ?? 'dropped');
  };
  return (p) =>
    new Promise((resolve) => {
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({ p, resolve });
    });
}
