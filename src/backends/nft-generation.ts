import { z } from 'zod';
import { hasBinary } from '../run/binaries.js';
import { run } from '../run/runner.js';
import { bootId } from '../pending/clock.js';

// nft prints no generation id, yet the kernel keeps one per network namespace: every committed
// transaction adds one (`nft -c` and refused batches do not; datapath updates of sets do not either).
// Asked here with one NFT_MSG_GETGEN over netlink from python3 (Node has no netlink socket): ~20 ms,
// against 1.6 s for listing a 50k-rule table on nft 1.0.6. The netns cookie (SO_NETNS_COOKIE, unique
// within a boot, never reused) tells a recreated namespace of the same name apart.
const GETGEN = [
  'import socket,struct',
  's=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,12)',
  's.bind((0,0))',
  "s.send(struct.pack('=IHHIIBBH',20,(10<<8)|16,1,1,0,0,0,0))",
  'd=s.recv(65536)',
  "l,t=struct.unpack_from('=IH',d,0)",
  'o=20',
  'g=None',
  'while o+4<=min(l,len(d)):',
  " n,a=struct.unpack_from('=HH',d,o)",
  ' if n<4: break',
  " if a&0x3fff==1 and n>=8: g=struct.unpack_from('>I',d,o+4)[0]",
  ' o+=(n+3)&~3',
  "c=struct.unpack('=Q',s.getsockopt(socket.SOL_SOCKET,71,8))[0]",
  'print(t,g,c)',
].join('\n');

export const Generation = z.strictObject({
  bootId: z.string().min(1),
  netnsCookie: z.string().regex(/^\d+$/),
  genid: z.number().int().nonnegative(),
});
export type GenerationT = z.infer<typeof Generation>;

/** The namespace's nft ruleset generation, or null when it cannot be read (no python3, an old kernel). */
export async function nftGeneration(netns: string | null): Promise<GenerationT | null> {
  if (!hasBinary('python3')) return null;
  const boot = bootId();
  if (!boot) return null;
  const r = await run('python3', ['-I', '-S', '-c', GETGEN], { netns, allowFailure: true, timeoutMs: 10_000 });
  // The reply's type must be NFT_MSG_NEWGEN (10 << 8 | 15 = 2575).
  const m = /^2575 (\d+) (\d+)\s*$/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) return null;
  return { bootId: boot, netnsCookie: m[2]!, genid: Number(m[1]) };
}

/** Two readings of the same namespace in the same boot, `steps` commits apart (0: nothing committed between). */
export function sameGeneration(
  a: GenerationT | null | undefined,
  b: GenerationT | null | undefined,
  steps = 0,
): boolean {
  return (
    a !== null &&
    a !== undefined &&
    b !== null &&
    b !== undefined &&
    a.bootId === b.bootId &&
    a.netnsCookie === b.netnsCookie &&
    b.genid === a.genid + steps
  );
}
