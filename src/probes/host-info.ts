import { run } from '../run/runner.js';

/** The interface that holds `address` in the namespace (where the admin's traffic arrives), or null. */
export async function interfaceOf(netns: string | null, address: string | null): Promise<string | null> {
  if (!address) return null;
  const r = await run('ip', ['-j', 'addr', 'show'], { netns, allowFailure: true });
  try {
    const links = JSON.parse(r.stdout) as { ifname: string; addr_info?: { local?: string }[] }[];
    return links.find((l) => (l.addr_info ?? []).some((a) => a.local === address))?.ifname ?? null;
  } catch {
    return null;
  }
}

/** True when the namespace has a global IPv6 address (not link-local, not loopback): IPv6 is in use there. */
export async function hasGlobalIpv6(netns: string | null): Promise<boolean> {
  const r = await run('ip', ['-j', '-6', 'addr', 'show', 'scope', 'global'], { netns, allowFailure: true });
  try {
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
    return links.some((l) => (l.addr_info ?? []).some((a) => typeof a.local === 'string'));
  } catch {
    return false;
  }
}

/** The device the namespace routes `address` through (docker0 for a container's address); null when unknown. */
export async function routeDevice(netns: string | null, address: string): Promise<string | null> {
  const r = await run('ip', ['-j', 'route', 'get', address], { netns, allowFailure: true });
  try {
    const dev = (JSON.parse(r.stdout || '[]') as { dev?: string }[])[0]?.dev;
    return typeof dev === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(dev) && dev !== 'lo' ? dev : null;
  } catch {
    return null;
  }
}
