// The probe agent: a tiny program run inside a probe namespace (as `node agent.js ROLE …`), so that the
// listener and the client are real sockets in the namespaces, with no extra package.
// ROLE listen PORT...         → echo server on each port; prints "ready"
// ROLE session SRC DST PORT   → connects now, prints "connected"; on each stdin line "ping" sends it
//                               and prints "echo" when it comes back
// ROLE connect SRC DST PORT MS → a new connection: prints "accepted", "rejected CODE" or "dropped"
import { createServer, connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const [role, ...rest] = process.argv.slice(2);
const out = (line: string): void => void process.stdout.write(line + '\n');

if (role === 'listen') {
  for (const port of rest.map(Number)) {
    createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => undefined)).listen({ port, host: '::', ipv6Only: false });
  }
  out('ready');
} else if (role === 'session') {
  const [src, dst, port] = rest as [string, string, string];
  const sock: Socket = connect({ host: dst, port: Number(port), localAddress: src }, () => out('connected'));
  sock.setNoDelay(true);
  sock.on('data', () => out('echo'));
  sock.on('error', (e) => out(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  createInterface({ input: process.stdin }).on('line', (l) => sock.write(l + '\n'));
} else if (role === 'connect') {
  const [src, dst, port, ms] = rest as [string, string, string, string];
  const sock = connect({ host: dst, port: Number(port), localAddress: src });
  const timer = setTimeout(() => {
    out('dropped');
    process.exit(0);
  }, Number(ms));
  sock.on('connect', () => {
    clearTimeout(timer);
    out('accepted');
    process.exit(0);
  });
  sock.on('error', (e) => {
    clearTimeout(timer);
    out(`rejected ${(e as NodeJS.ErrnoException).code ?? ''}`);
    process.exit(0);
  });
} else {
  process.exitCode = 2;
}
