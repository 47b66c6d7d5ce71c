import { run } from '../run/runner.js';

/** Where an address is on the live host: the interface, and the gateway a peer is routed through. */
export interface LiveRoute {
  iface: string;
  via: string | null;
}

/**
 * The live interface of each address: the one that holds it (the host's own) or the one the live routes
 * send it out of (a peer). The network replay gives its copy of the host the same interface names, so
 * rules with `iifname`/`oifname` decide there as they would live, and its router the live gateway's
 * address (the source of the PMTU errors it sends). Unknown: `fallback`, no gateway.
 */
export async function liveInterfaces(
  netns: string | null,
  addrs: string[],
  fallback = 'eth0',
): Promise<Map<string, LiveRoute>> {
  const out = new Map<string, LiveRoute>();
  const shown = await run('ip', ['-j', 'addr', 'show'], { netns, allowFailure: true, timeoutMs: 5000 });
  try {
    const links = JSON.parse(shown.stdout || '[]') as { ifname: string; addr_info?: { local?: string }[] }[];
    for (const l of links)
      for (const a of l.addr_info ?? [])
        if (a.local && l.ifname !== 'lo') out.set(a.local, { iface: l.ifname, via: null });
  } catch {
    // no JSON: every address falls back
  }
  await Promise.all(
    addrs
      .filter((a) => !out.has(a))
      .map(async (a) => {
        const r = await run('ip', ['-j', 'route', 'get', a], { netns, allowFailure: true, timeoutMs: 5000 });
        try {
          const route = (JSON.parse(r.stdout || '[]') as { dev?: string; gateway?: string }[])[0];
          if (route?.dev && route.dev !== 'lo') out.set(a, { iface: route.dev, via: route.gateway ?? null });
        } catch {
          // no route: falls back
        }
      }),
  );
  for (const a of addrs) if (!out.has(a)) out.set(a, { iface: fallback, via: null });
  return out;
}
