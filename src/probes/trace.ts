import { normaliseRuleText } from '../ruleset/text.js';

/** A rule that rewrote where the packet goes (DNAT, redirect, tproxy, a stateless `ip daddr set`). */
export interface TraceRewrite {
  /** `family table chain: rule text`. */
  by: string;
  /** What the rule rewrites the destination to, as the rule says it (`192.0.2.30`, `numgen inc mod 2 map { … }`). */
  towards: string;
}

/** What nft's tracing said decided a packet: the last rule or policy with a verdict in its trace. */
export interface TraceVerdict {
  traceId: string;
  decidedBy: string;
  verdict: string;
  /** The last rule on the packet's way that rewrote its destination, if any. */
  rewrite: TraceRewrite | null;
}

const REWRITE = new RegExp(
  '\\b(dnat(?: ip6?)? to|redirect to|tproxy(?: ip6?)? to|ip6? daddr set|(?:tcp|udp|th) dport set)\\s+(.+?)' +
    '(?:\\s+(?:accept|drop|continue|return|counter|notrack|meta \\S+ set .*))?$',
);

/** The destination rewrite a rule's text performs (its target as written), or null. */
export function rewriteOf(ruleText: string): string | null {
  const m = REWRITE.exec(ruleText);
  if (m) return /dport set$/.test(m[1]!) ? `port ${m[2]!.trim()}` : m[2]!.trim();
  return /\b(?:redirect|dnat)\b/.test(ruleText) ? 'a local port' : null;
}

const LINE = /^trace id (\S+) (\S+) (\S+) (\S+) (.*)$/;

/** Looks up a rule's text by handle (a monitor started before a rule existed prints only its handle). */
export type RuleText = (family: string, table: string, handle: number) => string | undefined;

/** One traced packet: its first `packet:` line and the verdict that decided it. */
export interface TracedPacket {
  traceId: string;
  packet: string;
  verdict: Omit<TraceVerdict, 'rewrite'> | null;
  rewrite: TraceRewrite | null;
}

/** Parses `nft monitor trace` text into packets, in the order they were first seen. */
export function parseTrace(traceText: string, ruleText: RuleText = () => undefined): TracedPacket[] {
  const packets = new Map<string, TracedPacket>();
  for (const raw of traceText.split('\n')) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const [, id, family, table, chain, rest] = m as unknown as [string, string, string, string, string, string];
    if (rest.startsWith('packet:')) {
      if (!packets.has(id)) packets.set(id, { traceId: id, packet: rest, verdict: null, rewrite: null });
      continue;
    }
    const p = packets.get(id);
    if (!p || table === 'fwsafe_trace') continue;
    // A monitor started before a rule existed prints "unknown rule handle N": look the handle up.
    const unknown = /^unknown rule handle (\d+) \(verdict (\S+)\)$/.exec(rest);
    const rule = unknown
      ? [rest, ruleText(family, table, Number(unknown[1])) ?? `handle ${unknown[1]}`, unknown[2]]
      : /^rule (.*) \(verdict (\S+)\)$/.exec(rest);
    const text = rule ? normaliseRuleText(rule[1]!) : '';
    const where = `${family} ${table} ${chain}: ${text}`;
    const towards = rule ? rewriteOf(rule[1]!) : null;
    if (towards) p.rewrite = { by: where, towards };
    if (rule && rule[2] !== 'continue' && !/^jump|^goto/.test(rule[2]!)) {
      p.verdict = { traceId: id, decidedBy: where, verdict: rule[2]! };
    } else if (/^policy (\S+)/.test(rest) || /^verdict (\S+)/.test(rest)) {
      const v = /^(?:policy|verdict) (\S+)/.exec(rest)![1]!;
      if (v === 'continue') continue;
      if (!p.verdict || /^policy/.test(rest))
        p.verdict = {
          traceId: id,
          decidedBy: `${family} ${table} ${chain}: ${rest.startsWith('policy') ? `policy ${v}` : `verdict ${v}`}`,
          verdict: v,
        };
    }
  }
  return [...packets.values()];
}

/** The verdict of the last traced packet that `match` selects (by its `packet:` line), or null. */
export function lastVerdict(packets: TracedPacket[], match: (packet: string) => boolean): TraceVerdict | null {
  let found: TraceVerdict | null = null;
  for (const p of packets) if (p.verdict && match(p.packet)) found = { ...p.verdict, rewrite: p.rewrite };
  return found;
}

/** The last traced packet that `match` selects and a drop or reject stopped, or null. */
export function lastStopped(packets: TracedPacket[], match: (packet: string) => boolean): TraceVerdict | null {
  return lastVerdict(
    packets.filter((p) => /^(drop|reject)/.test(p.verdict?.verdict ?? '')),
    match,
  );
}

const escapeRe = (s: string): string => s.replace(/[^0-9A-Za-z]/g, '\\$&');

/** Whether a trace's packet line is from `saddr` (and to `daddr` when given): `ip saddr A ip daddr B`. */
export function fromTo(packet: string, saddr: string, daddr?: string): boolean {
  return (
    new RegExp(`ip6? saddr ${escapeRe(saddr)} `).test(`${packet} `) &&
    (daddr === undefined || new RegExp(`ip6? daddr ${escapeRe(daddr)} `).test(`${packet} `))
  );
}

/**
 * Parses `nft monitor trace` text; returns, per probe packet (source, destination port), the rule that
 * gave the final verdict. Trace ids whose packet line does not match are ignored.
 */
export function decidingRule(
  traceText: string,
  saddr: string,
  dport: number,
  packet: 'syn' | 'data' | 'udp' = 'syn',
  ruleText: RuleText = () => undefined,
): TraceVerdict | null {
  return lastVerdict(parseTrace(traceText, ruleText), (rest) => {
    const syn = /tcp flags == syn\b(?! \|)/.test(rest);
    const kind = packet === 'udp' ? /\budp\b/.test(rest) : packet === 'syn' ? syn : !syn && !/\budp\b/.test(rest);
    return fromTo(rest, saddr) && new RegExp(`dport ${dport}\\b`).test(rest) && kind;
  });
}

/**
 * The drop a reply met: packets from `from`:`sport` back to `to` whose final verdict dropped them. A
 * flow whose packets the rules accept fails this way when a rule matches both directions (a DOCKER-USER
 * `! -s` drop without `--ctdir ORIGINAL` also drops the container's answers).
 */
export function replyDrop(
  traceText: string,
  from: string,
  to: string,
  sport: number,
  ruleText: RuleText = () => undefined,
): TraceVerdict | null {
  const port = new RegExp(`sport ${sport}\\b`);
  return lastStopped(parseTrace(traceText, ruleText), (rest) => fromTo(rest, from, to) && port.test(rest));
}
