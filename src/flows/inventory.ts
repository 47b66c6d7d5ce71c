import { run } from '../run/runner.js';
import { hasBinary } from '../run/binaries.js';
import { parseConntrack } from './conntrack.js';
import { listenersOf, parseSockets } from './sockets.js';
import { classify } from './classify.js';
import { readFlowsFile } from './flows-file.js';
import { FlowInventory, type FlowInventoryT } from './schema.js';

export const DEFAULT_TOP = 256;

/** The namespace's own addresses (`ip -j addr`), loopback included. */
export async function localAddresses(netns: string | null): Promise<string[]> {
  const r = await run('ip', ['-j', 'addr', 'show'], { netns, allowFailure: true, timeoutMs: 5000 });
  try {
    const links = JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[];
    return [
      ...new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => Boolean(a)))),
    ].sort();
  } catch {
    return [];
  }
}

async function forwarding(netns: string | null): Promise<{ ipv4: boolean; ipv6: boolean }> {
  const r = await run('sysctl', ['-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding'], {
    netns,
    allowFailure: true,
    timeoutMs: 5000,
  });
  const [v4, v6] = r.stdout.trim().split('\n');
  return { ipv4: v4 === '1', ipv6: v6 === '1' };
}

async function conntrackText(netns: string | null): Promise<string | null> {
  if (!hasBinary('conntrack')) return null;
  const r = await run('conntrack', ['-L', '-o', 'extended'], { netns, allowFailure: true, timeoutMs: 20_000 });
  return r.exitCode === 0 ? r.stdout : null;
}

/**
 * What flows through the host, read-only: the conntrack table grouped into flow classes (top N), the
 * listening sockets with their processes, and the flows the admin declared. Everything is collected
 * side by side; the time it took is part of the answer.
 */
export async function collectInventory(options: {
  netns: string | null;
  flowsFile?: string | null;
  top?: number;
}): Promise<FlowInventoryT> {
  const started = performance.now();
  const declared = readFlowsFile(options.flowsFile ?? null);
  const [addresses, forward, ct, ss] = await Promise.all([
    localAddresses(options.netns),
    forwarding(options.netns),
    conntrackText(options.netns),
    run('ss', ['-tuanpH'], { netns: options.netns, allowFailure: true, timeoutMs: 10_000 }),
  ]);
  const sockets = parseSockets(ss.stdout);
  const listeners = listenersOf(sockets);
  const entries = ct === null ? [] : parseConntrack(ct);
  const { classes, omitted } = classify(entries, {
    local: new Set(addresses),
    listeners,
    sockets,
    top: options.top ?? DEFAULT_TOP,
  });
  return FlowInventory.parse({
    netns: options.netns,
    collectedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    conntrack: ct === null ? 'unavailable' : entries.length > 0 ? 'tracked' : 'not-tracking',
    localAddresses: addresses,
    forwarding: forward,
    classes,
    omittedClasses: omitted,
    listeners,
    declared: declared.flows,
    declaredFrom: declared.path,
  });
}
