import { run } from '../run/runner.js';

/**
 * The live interface of each address: the one that holds it (the host's own) or the one the live routes
 * send it out of (a peer). The network replay gives its copy of the host the same interface names, so
 * rules with `iifname`/`oifname` decide there as they would live. Unknown: `fallback`.
 */
export async function liveInterfaces(
  netns: string | null,
  addrs: string[],
  fallback = 'eth0',
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const shown = await run('ip', ['-j', 'addr', 'show'], { netns, allowFailure: true, timeoutMs: 5000 });
  try {
    const links = JSON.parse(shown.stdout || '[]') as { ifname: string; addr_info?: { local?: string }[] }[];
    for (const l of links) for (const a of l.addr_info ?? []) if (a.local && l.ifname !== 'lo') out.set(a.local, l.ifname);
  } catch {
    // no JSON: every address falls back
  }
  await Promise.all(
    addrs
      .filter((a) => !out.has(a))
      .map(async (a) => {
        const r = await run('ip', ['-j', 'route', 'get', a], { netns, allowFailure: true, timeoutMs: 5000 });
        try {
          const dev = (JSON.parse(r.stdout || '[]') as { dev?: string }[])[0]?.dev;
          if (dev && dev !== 'lo') out.set(a, dev);
        } catch {
          // no route: falls back
        }
      }),
  );
  for (const a of addrs) if (!out.has(a)) out.set(a, fallback);
  return out;
}
