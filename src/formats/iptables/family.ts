import { basename } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../errors.js';

export const IpFamily = z.enum(['v4', 'v6']);
export type IpFamily = z.infer<typeof IpFamily>;
/** Which iptables a proposal is for: iptables-nft (nft tables underneath) or iptables-legacy. */
export const IptablesVariant = z.enum(['nft', 'legacy']);
export type IptablesVariant = z.infer<typeof IptablesVariant>;

const V6_WORD = /(^|\s)(-p\s+(ipv6-icmp|icmpv6)|--icmpv6-type|-m\s+(icmp6|ipv6header|frag|hbh|dst|rt|mh))\b/;
const V4_WORD = /(^|\s)(-p\s+icmp\b|--icmp-type|-f\b|--fragment\b)/;
// An address after an address option: IPv6 has a colon, IPv4 a dotted quad.
const ADDR =
  /(?:^|\s)(?:-s|-d|--source|--destination|--to-destination|--to-source|--to|--src-range|--dst-range)\s+!?\s*(\S+)/g;

/** What a line of a proposal says about its family: v4, v6 or nothing. */
function lineFamily(line: string): IpFamily | null {
  for (const m of line.matchAll(ADDR)) {
    const value = m[1]!;
    if (
      /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/\d+)?/.test(value) &&
      value.includes(':') &&
      !/^\d+\.\d+\.\d+\.\d+:\d+/.test(value)
    )
      return 'v6';
    if (/^\d+\.\d+\.\d+\.\d+/.test(value)) return 'v4';
  }
  if (V6_WORD.test(line)) return 'v6';
  if (V4_WORD.test(line)) return 'v4';
  return null;
}

/** The family the file's name says: rules.v6, ip6tables.rules, /etc/sysconfig/ip6tables → v6; rules.v4, iptables → v4. */
export function familyFromName(path: string): IpFamily | null {
  const name = basename(path).toLowerCase();
  if (/\.v6$|ip6tables|ipv6|rules6/.test(name)) return 'v6';
  if (/\.v4$|^iptables|ipv4|rules4/.test(name)) return 'v4';
  return null;
}

/**
 * The IP family of an iptables-restore proposal: `--family` when given, else the file name, else its
 * content (addresses, icmp/icmpv6), else IPv4. A line of the other family is refused, naming it.
 */
export function familyOf(text: string, path: string, explicit?: IpFamily | null): { family: IpFamily; why: string } {
  const fromName = familyFromName(path);
  const lines = text.split('\n');
  const seen = lines
    .map((l, i) => ({ n: i + 1, f: l.trim().startsWith('#') ? null : lineFamily(l) }))
    .filter((x) => x.f !== null);
  const fromContent = seen[0]?.f ?? null;
  const family = explicit ?? fromName ?? fromContent ?? 'v4';
  const why = explicit
    ? `--family ${explicit}`
    : fromName
      ? `the file name ${basename(path)}`
      : fromContent
        ? `its content (line ${seen[0]!.n})`
        : 'the default (no IPv6 address or icmpv6 in it)';
  const other = seen.find((x) => x.f !== family);
  if (other) {
    const says = family === 'v4' ? 'an IPv6 address or icmpv6' : 'an IPv4 address or icmp';
    throw new UserError(
      `${path}:${other.n}: ${says} in an ${family === 'v4' ? 'IPv4' : 'IPv6'} file (the family comes from ${why}): "${lines[other.n - 1]!.trim().slice(0, 80)}".`,
      {
        code: 'IPTABLES_FAMILY_MISMATCH',
        actions: [
          `Keep IPv4 rules in one file (iptables, rules.v4) and IPv6 rules in another (ip6tables, rules.v6); plan each, or pass --family.`,
        ],
      },
    );
  }
  return { family, why };
}
