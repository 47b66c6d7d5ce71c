import { BlockList, isIP } from 'node:net';

/** `a.b.c.d`, `a.b.c.d/len`, an IPv6 address or prefix: its family, or null when it is none of these. */
export function addressFamily(text: string): 'ipv4' | 'ipv6' | null {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || !addr) return null;
  const family = isIP(addr);
  if (family === 0) return null;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len) || Number(len) > (family === 4 ? 32 : 128)) return null;
  }
  return family === 4 ? 'ipv4' : 'ipv6';
}

/** Does `addr` fall in `prefix` (an address or prefix)? node:net's BlockList, so `::ffff:a.b.c.d` is read right. */
export function inPrefix(addr: string, prefix: string): boolean {
  const list = new BlockList();
  const [base, len] = prefix.split('/');
  const type = isIP(base!) === 6 ? 'ipv6' : 'ipv4';
  if (len === undefined) list.addAddress(base!, type);
  else list.addSubnet(base!, Number(len), type);
  return list.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
}

/** The /24 (IPv4) or /64 (IPv6) an address belongs to: how inbound clients are grouped. */
export function clientPrefix(addr: string): string {
  if (isIP(addr) === 4) return `${addr.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = expandV6(addr)
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}::/64`;
}

function expandV6(addr: string): string[] {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t];
}
