import type { IpFamily } from './family.js';

/**
 * Values iptables-restore 1.8.9 accepts (exit 0, both iptables-nft and iptables-legacy) but stores as
 * something else, without a word: measured in a scratch namespace (docs/iptables.md, "Values refused").
 * A proposal holding one is refused before anything runs, naming the token; everything iptables-save
 * prints passes.
 */
export interface BadValue {
  /** The option and its value as written: `--dport 99999`. */
  token: string;
  message: string;
  action: string;
}

/** iptables-restore's own splitting: whitespace, double quotes kept together (a backslash escapes). */
export function restoreWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      started = true;
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

const OCTAL = /^0\d+$/;
const octal = (piece: string): string =>
  `"${piece}" starts with 0, so iptables reads it as octal (${piece} is ${/^0[0-7]+$/.test(piece) ? Number.parseInt(piece, 8) : 'not even octal'}), or as decimal, depending on the option`;

/** A port or port range piece: plain decimal 0-65535 (or hex, or a service name, left to iptables). */
function portProblem(piece: string, wraps: boolean): string | null {
  if (piece === '' || /^[a-zA-Z]/.test(piece)) return null;
  if (OCTAL.test(piece)) return octal(piece);
  const n = /^0[xX][0-9a-fA-F]+$/.test(piece) ? Number.parseInt(piece, 16) : /^\d+$/.test(piece) ? Number(piece) : null;
  if (n === null || n <= 65535) return null;
  return wraps
    ? `a port is 0-65535; iptables-restore would store ${n % 65536} (${piece} modulo 65536)`
    : `a port is 0-65535`;
}

function ports(value: string, separators: RegExp, wraps = true): string | null {
  for (const piece of value.split(separators)) {
    const p = portProblem(piece, wraps);
    if (p) return p;
  }
  return null;
}

/** An address with an optional /prefix or /dotted mask: octets and the prefix length are checked. */
function address(value: string, family: IpFamily | null, prefixSilentlyDropped: boolean): string | null {
  const [addr = '', mask] = value.split('/');
  for (const part of [addr, mask?.includes('.') ? mask : '']) {
    if (/^[\d.]+$/.test(part)) {
      const octet = part.split('.').find((o) => OCTAL.test(o));
      if (octet) return `${octal(octet)}: ${part} would not be the address you wrote`;
    }
  }
  if (mask === undefined || !/^\d+$/.test(mask)) return null;
  if (OCTAL.test(mask)) return `${octal(mask)}: the prefix /${mask} would be /${Number.parseInt(mask, 8)}`;
  const max = addr.includes(':') || family === 'v6' ? 128 : 32;
  if (Number(mask) > max && prefixSilentlyDropped)
    return `a prefix length is 0-${max}; iptables-restore would drop the /${mask} and match ${max === 32 ? 'the single address' : 'one address'}`;
  return null;
}

/** `addr[-addr][:port[-port]]`, `[v6addr]:port`: the NAT target of DNAT/SNAT. */
function natTarget(value: string): string | null {
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  const [addrs, portPart] = bracket
    ? [bracket[1]!, bracket[2]]
    : value.includes('.') && value.includes(':')
      ? [value.slice(0, value.lastIndexOf(':')), value.slice(value.lastIndexOf(':') + 1)]
      : [value, undefined];
  for (const a of addrs.split('-')) {
    const p = address(a, null, false);
    if (p) return p;
  }
  return portPart === undefined ? null : ports(portPart, /-/);
}

function numberPieces(value: string): string | null {
  const piece = value.split(/[/:,-]/).find((p) => OCTAL.test(p));
  return piece ? octal(piece) : null;
}

function textLength(limit: number, what: string): (value: string) => string | null {
  return (value) => {
    const bytes = Buffer.byteLength(value, 'utf8');
    return bytes > limit
      ? `${what} holds at most ${limit} bytes; iptables-restore would cut this one (${bytes} bytes) to its first ${limit}`
      : null;
  };
}

type Check = (value: string, family: IpFamily | null) => string | null;

const matchPorts: Check = (v) => ports(v, /:/);
const portList: Check = (v) => ports(v, /[,:]/);
const prefixOf =
  (dropped: boolean): Check =>
  (v, family) => {
    for (const a of v.split(',')) {
      const p = address(a, family, dropped);
      if (p) return p;
    }
    return null;
  };
const maskLength: Check = (v, family) => {
  if (OCTAL.test(v)) return octal(v);
  const max = family === 'v6' ? 128 : family === 'v4' ? 32 : 128;
  return /^\d+$/.test(v) && Number(v) > max
    ? `a mask length is 0-${max} here; iptables-restore would store ${max} (the whole address)`
    : null;
};

const CHECKS: Record<string, Check> = {
  '--dport': matchPorts,
  '--sport': matchPorts,
  '--destination-port': matchPorts,
  '--source-port': matchPorts,
  '--dports': portList,
  '--sports': portList,
  '--ports': portList,
  '--destination-ports': portList,
  '--source-ports': portList,
  '--ctorigsrcport': matchPorts,
  '--ctorigdstport': matchPorts,
  '--ctreplsrcport': matchPorts,
  '--ctrepldstport': matchPorts,
  '--on-port': matchPorts,
  '--mss': matchPorts,
  '--to-ports': (v) => ports(v, /-/),
  '--to-destination': natTarget,
  '--to-source': natTarget,
  '-s': prefixOf(false),
  '-d': prefixOf(false),
  '--source': prefixOf(false),
  '--destination': prefixOf(false),
  '--ctorigsrc': prefixOf(true),
  '--ctorigdst': prefixOf(true),
  '--ctreplsrc': prefixOf(true),
  '--ctrepldst': prefixOf(true),
  '--to': prefixOf(true),
  '--connlimit-mask': maskLength,
  '--src-range': (v) => natTarget(v),
  '--dst-range': (v) => natTarget(v),
  '--log-prefix': textLength(29, 'a LOG prefix'),
  '--nflog-prefix': textLength(63, 'an NFLOG prefix (iptables-legacy)'),
  '--comment': textLength(255, 'a comment'),
  '--icmp-type': (v) =>
    /^255(\/|$)/.test(v)
      ? 'iptables reads ICMP type 255 as "any": the rule would match every ICMP packet'
      : numberPieces(v),
  '--set-class': (v) => {
    const piece = v.split(':').find((p) => /^[0-9a-fA-F]+$/.test(p) && Number.parseInt(p, 16) > 0xffff);
    return piece
      ? `a class is MAJOR:MINOR in hexadecimal, each at most ffff; iptables-restore would keep ${piece.slice(-4)} of ${piece}`
      : null;
  },
  '--weekdays': (v) => {
    const day = v.split(',').find((d) => /^\d+$/.test(d) && (Number(d) < 1 || Number(d) > 7));
    return day ? `a weekday is 1-7 (or Mon…Sun); iptables-restore would drop ${day} from the list` : null;
  },
};

/** Options whose numbers iptables reads with base 0 (a leading 0 means octal): `--mark 010` is 0x8. */
const OCTAL_PRONE = [
  '-p',
  '--protocol',
  '--mark',
  '--set-mark',
  '--set-xmark',
  '--and-mark',
  '--or-mark',
  '--xor-mark',
  '--ttl-eq',
  '--ttl-gt',
  '--ttl-lt',
  '--ttl-set',
  '--ttl-inc',
  '--ttl-dec',
  '--hl-eq',
  '--hl-gt',
  '--hl-lt',
  '--hl-set',
  '--hl-inc',
  '--hl-dec',
  '--length',
  '--limit-burst',
  '--hashlimit-burst',
  '--icmpv6-type',
  '--connlimit-above',
  '--connlimit-upto',
  '--queue-num',
  '--nflog-group',
  '--tos',
  '--set-tos',
  '--dscp',
  '--set-dscp',
  '--zone',
  '--every',
  '--packet',
  '--set-mss',
  '--hitcount',
  '--seconds',
];
for (const option of OCTAL_PRONE) CHECKS[option] = numberPieces;

/**
 * The first value of a rule line (or its words, as restoreWords gives them) that iptables-restore would
 * silently store as something else, or null. `family` (when known) bounds mask lengths: 32 for IPv4, 128 for IPv6.
 */
export function silentlyChangedValue(
  line: string | readonly string[],
  family: IpFamily | null = null,
): BadValue | null {
  const words = typeof line === 'string' ? restoreWords(line) : line;
  for (let i = 0; i < words.length; i++) {
    const option = words[i]!;
    const check = CHECKS[option];
    if (!check) continue;
    let j = i + 1;
    if (words[j] === '!') j++;
    const value = words[j];
    if (value === undefined) continue;
    const problem = check(value, family);
    if (problem) {
      const token = `${option} ${value.length > 40 ? `${value.slice(0, 40)}…` : value}`;
      return { token, message: problem, action: `Write the value as you mean it (${describe(option)}).` };
    }
  }
  return null;
}

function describe(option: string): string {
  if (/port|--mss/.test(option)) return 'a decimal port 0-65535, no leading 0';
  if (/prefix|comment/.test(option)) return 'shorter text';
  if (/^-[sd]$|source|destination|ctorig|ctrepl|range|mask/.test(option))
    return 'decimal octets and a prefix length within the address size';
  return 'decimal without a leading 0, or 0x… for hexadecimal, within the option’s range';
}
