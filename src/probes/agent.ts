// The probe agent: a tiny program run inside a probe namespace (as `node agent.js ROLE …`), so that the
// listener and the client are real sockets in the namespaces, with no extra package.
// ROLE listen PORT...         → echo server on each port; prints "ready"
// ROLE session SRC DST PORT   → connects now, prints "connected"; on each stdin line "ping" sends it
//                               and prints "echo" when it comes back
// ROLE connect SRC DST PORT MS → a new connection: prints "accepted", "rejected CODE" or "dropped"
// ROLE listen-udp PORT...     → UDP echo responder on each port; prints "ready"
// ROLE udp SRC DST PORT MS    → one datagram: "accepted" when the reply comes back, "rejected CODE" on an
//                               ICMP error (port unreachable…), "dropped" when nothing comes back in MS
// ROLE bulk SRC DST PORT MS   → connects, sends 4000 bytes to an echo listener (full-size segments both
//                               ways: what a PMTU error is about); "connected accepted" when all came back
//                               in MS, "connected dropped" when it stalled
// ROLE many MS KIND,SRC,DST,PORT… → those probes (connect, udp, bulk) at once; prints "I WORD" for each
import { createServer, connect, isIPv6, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { networkInterfaces } from 'node:os';

const [role, ...rest] = process.argv.slice(2);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** One probe: "accepted", "rejected CODE" or "dropped"; bulk prints nothing more but says "connected …" first. */
function probe(kind: string, src: string, dst: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let connected = false;
    const done = (word: string): void => {
      clearTimeout(timer);
      resolve(kind === 'bulk' && connected ? `connected ${word}` : word);
    };
    const timer = setTimeout(() => done('dropped'), ms);
    if (kind === 'udp') {
      const sock = createSocket(isIPv6(dst) ? 'udp6' : 'udp4');
      sock.on('message', () => {
        sock.close();
        done('accepted');
      });
      // A connected UDP socket reports the ICMP error the datagram drew (ECONNREFUSED for port unreachable).
      sock.on('error', (e) => done(`rejected ${(e as NodeJS.ErrnoException).code ?? ''}`));
      sock.bind(0, src, () => sock.connect(port, dst, () => sock.send('fwsafe-probe\n')));
      return;
    }
    let got = 0;
    const sock = connect({ host: dst, port, localAddress: src }, () => {
      connected = true;
      if (kind !== 'bulk') {
        sock.destroy();
        done('accepted');
      } else sock.write(Buffer.alloc(4000, 120));
    });
    sock.on('data', (d) => {
      got += d.length;
      if (got < 4000) return;
      sock.destroy();
      done('accepted');
    });
    sock.on('error', (e) => done(`rejected ${(e as NodeJS.ErrnoException).code ?? ''}`));
  });
}

if (role === 'listen') {
  // "ready" once every port listens: listen() binds later (after its address lookup), not on return.
  void Promise.all(
    rest.map(Number).map(
      (port) =>
        new Promise<void>((resolve) => {
          createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => undefined)).listen(
            { port, host: '::', ipv6Only: false },
            resolve,
          );
        }),
    ),
  ).then(() => out('ready'));
} else if (role === 'session') {
  const [src, dst, port] = rest as [string, string, string];
  const sock: Socket = connect({ host: dst, port: Number(port), localAddress: src }, () => out('connected'));
  sock.setNoDelay(true);
  sock.on('data', () => out('echo'));
  sock.on('error', (e) => out(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  createInterface({ input: process.stdin }).on('line', (l) => sock.write(`${l}\n`));
} else if (role === 'listen-udp') {
  // One socket per local address: a reply leaves from the address the request was sent to (a wildcard
  // socket would answer from the interface's first address, which the client's socket ignores).
  const own = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.address.startsWith('fe80'))
    .map((a) => a!.address);
  // "ready" once every socket is bound (bind() completes after its address lookup, not on return).
  void Promise.all(
    rest.map(Number).flatMap((port) =>
      own.map(
        (address) =>
          new Promise<void>((resolve) => {
            const sock = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: true });
            sock.on('message', (m, from) => sock.send(m, from.port, from.address)).on('error', () => resolve());
            sock.bind(port, address, resolve);
          }),
      ),
    ),
  ).then(() => out('ready'));
} else if (role === 'connect' || role === 'udp' || role === 'bulk') {
  const [src, dst, port, ms] = rest as [string, string, string, string];
  void probe(role, src, dst, Number(port), Number(ms)).then((word) => {
    out(word);
    process.exit(0);
  });
} else if (role === 'many') {
  // Many probes in one process (starting node once per probe costs more than the probes): prints "I WORD" each.
  const [ms, ...specs] = rest as [string, ...string[]];
  void Promise.all(
    specs.map(async (spec, i) => {
      const [kind, src, dst, port] = spec.split(',') as [string, string, string, string];
      out(`${i} ${await probe(kind, src, dst, Number(port), Number(ms))}`);
    }),
  ).then(() => process.exit(0));
} else {
  process.exitCode = 2;
}
