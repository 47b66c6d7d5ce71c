import { run } from '../run/runner.js';

/** Names of the network interfaces in the namespace (`ip -o link show`), without `@peer` suffixes. */
export async function liveInterfaces(netns: string | null): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show'], { netns, allowFailure: true, timeoutMs: 5000 });
  const names = r.stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => Boolean(n));
  return [...new Set(names)].sort();
}
