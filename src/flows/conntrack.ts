import type { FlowClassT } from './schema.js';

/** One entry of `conntrack -L -o extended`, original direction only. */
export interface ConntrackEntry {
  family: 'ipv4' | 'ipv6';
  proto: FlowClassT['proto'];
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  packets: number | null;
  assured: boolean;
  zone: number | null;
}

const PROTO: Record<string, ConntrackEntry['proto']> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  sctp: 'sctp',
  dccp: 'dccp',
  udplite: 'udplite',
  gre: 'gre',
};

/** Parses `conntrack -L -o extended` output (one flow a line; the summary line on stderr is not here). */
export function parseConntrack(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 6 || (words[0] !== 'ipv4' && words[0] !== 'ipv6')) continue;
    const first = new Map<string, string>();
    let packets: number | null = null;
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq <= 0) continue;
      const key = word.slice(0, eq);
      const value = word.slice(eq + 1);
      if (key === 'packets') packets = (packets ?? 0) + Number(value);
      else if (!first.has(key)) first.set(key, value);
    }
    const src = first.get('src');
    const dst = first.get('dst');
    if (!src || !dst) continue;
    const port = (key: string): number | null => (first.has(key) ? Number(first.get(key)) : null);
    entries.push({
      family: words[0],
      proto: PROTO[words[2]!] ?? 'other',
      src,
      dst,
      sport: port('sport'),
      dport: port('dport'),
      packets,
      assured: words.includes('[ASSURED]'),
      zone: first.has('zone') ? Number(first.get('zone')) : null,
    });
  }
  return entries;
}
