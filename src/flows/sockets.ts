import type { ListenerT } from './schema.js';

/** A socket from `ss -tuanpH`: listening or connected, with its process when ss could name it. */
export interface Socket {
  proto: 'tcp' | 'udp';
  state: string;
  local: { address: string; port: number };
  peer: { address: string; port: number | null };
  process: string | null;
  pid: number | null;
}

/** `0.0.0.0:22`, `[::]:22`, `*:22`, `127.0.0.53%lo:53`, `10.0.0.1:*` → address and port. */
function endpoint(text: string): { address: string; port: number | null } {
  const at = text.lastIndexOf(':');
  let address = text
    .slice(0, at)
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (address === '*') address = '0.0.0.0';
  const port = text.slice(at + 1);
  return { address, port: port === '*' ? null : Number(port) };
}

/** Parses `ss -tuanpH` (no header): Netid State Recv-Q Send-Q Local Peer [Process]. */
export function parseSockets(text: string): Socket[] {
  const sockets: Socket[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 6 || (words[0] !== 'tcp' && words[0] !== 'udp')) continue;
    const local = endpoint(words[4]!);
    const users = /users:\(\("([^"]*)",pid=(\d+)/.exec(line);
    sockets.push({
      proto: words[0],
      state: words[1]!,
      local: { address: local.address, port: local.port ?? 0 },
      peer: endpoint(words[5]!),
      process: users ? users[1]! : null,
      pid: users ? Number(users[2]) : null,
    });
  }
  return sockets;
}

/** Listening TCP sockets and unconnected UDP ones, one per proto/address/port. */
export function listenersOf(sockets: Socket[]): ListenerT[] {
  const seen = new Set<string>();
  const out: ListenerT[] = [];
  for (const s of sockets) {
    const listening =
      (s.proto === 'tcp' && s.state === 'LISTEN') ||
      (s.proto === 'udp' && s.state === 'UNCONN' && s.peer.port === null);
    const key = `${s.proto} ${s.local.address} ${s.local.port}`;
    if (!listening || seen.has(key)) continue;
    seen.add(key);
    out.push({ proto: s.proto, address: s.local.address, port: s.local.port, process: s.process, pid: s.pid });
  }
  return out.sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto) || a.address.localeCompare(b.address));
}
