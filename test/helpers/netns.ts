import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';

// Every namespace a test makes carries this prefix and the test process's pid, so leftovers can be told apart.
export const TEST_PREFIX = 'fwsafe-test-';

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Creates a throwaway network namespace with lo up; the name is unique to this test process. */
export function createNetns(tag = 'ns'): string {
  const name = `${TEST_PREFIX}${tag}-${process.pid}-${randomBytes(3).toString('hex')}`.slice(0, 60);
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Deletes a namespace; kills only the processes still inside it that this test started. */
export function deleteNetns(name: string): void {
  if (!name.startsWith(TEST_PREFIX)) throw new Error(`refusing to delete a namespace not made by a test: ${name}`);
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', name]);
}

/** vitest: a fresh namespace for each test, deleted even when the test fails. */
export function useNetns(tag = 'ns'): { readonly name: string } {
  let current = '';
  beforeEach(() => {
    current = createNetns(tag);
  });
  afterEach(() => {
    if (current) deleteNetns(current);
    current = '';
  });
  return {
    get name(): string {
      return current;
    },
  };
}

/** Runs nft inside the namespace (the test's own view of the kernel, independent of fwsafe's runner). */
export function nft(ns: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', ns, 'nft', ...args], input);
}

export function loadRuleset(ns: string, text: string): void {
  sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], text);
}

/** The kernel's ruleset in the namespace, as text without handles. */
export function liveRuleset(ns: string): string {
  return nft(ns, ['list', 'ruleset']);
}

export function inNetns(ns: string, cmd: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
