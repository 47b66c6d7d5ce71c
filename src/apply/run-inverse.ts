import { run } from '../run/runner.js';
import type { RollbackInverseT } from '../pending/schema.js';
import { buildFallback, nextChoice, noFallback, type BuiltScript, type FallbackChoice } from './inverse-fallback.js';

// Each try is one nft transaction: a refused one changes nothing. Every retry restores at least one more
// object or table whole, so this bounds the retries of a change touching many objects; then the caller
// restores every touched table whole.
const MAX_TRIES = 8;

export interface InverseRun {
  ok: boolean;
  /** What was restored whole instead of inverted (empty: the inverse ran as stored). */
  choice: FallbackChoice;
  /** nft's first refusal, when there was one. */
  firstRefusal: string | null;
}

/**
 * Runs the stored inverse; when nft refuses it, again with the objects it names restored whole (and, when
 * that fails too, their tables), as built by inverse-fallback.ts from what apply stored.
 */
export async function runInverse(
  netns: string | null,
  inverse: RollbackInverseT,
  wholeScript: string,
  /** Applied to each rebuilt script (objects or tables restored whole): the live counters carried in, line for line. */
  carry: (script: string) => string = (script) => script,
): Promise<InverseRun> {
  let choice = noFallback();
  let firstRefusal: string | null = null;
  for (let tries = 0; tries < MAX_TRIES; tries += 1) {
    // The stored inverse as it is first, then rebuilt with what nft refused restored whole.
    const attempt = tries === 0 ? null : buildFallback(inverse, wholeScript, choice);
    if (tries > 0 && attempt === null) break;
    const input = attempt ? carry(attempt.script) : inverse.nftScript;
    const r = await run('nft', ['-f', '-'], { netns, input, allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode === 0) return { ok: true, choice, firstRefusal };
    firstRefusal ??= firstError(r.stderr);
    // The stored inverse's lines map to their objects through inverse.origins; a rebuilt one's through its own.
    const built: BuiltScript = attempt ?? {
      script: input,
      origins: (inverse.origins ?? []).map((object) => ({ object, restore: false })),
    };
    const next = nextChoice(inverse, built, r.stderr, choice);
    if (next === null) break;
    choice = next;
  }
  return { ok: false, choice, firstRefusal };
}

/** The first `Error:` line nft printed, without the file prefix. */
export function firstError(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('Error:')) ?? stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^.*?Error:\s*/, '').trim();
}
