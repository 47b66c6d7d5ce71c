import { run } from '../run/runner.js';

/** TCP ports sshd listens on in the namespace (`ss -ltnp`); [22] when none can be seen. */
export async function sshListenPorts(netns: string | null): Promise<number[]> {
  const r = await run('ss', ['-H', '-ltnp'], { netns, allowFailure: true, timeoutMs: 5000 });
  const ports = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    if (!/"sshd/.test(line)) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports.size ? [...ports].sort((a, b) => a - b) : [22];
}
