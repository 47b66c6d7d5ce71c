/** What nft's tracing said decided a packet: the last rule or policy with a verdict in its trace. */
export interface TraceVerdict {
  traceId: string;
  decidedBy: string;
  verdict: string;
}

const LINE = /^trace id (\S+) (\S+) (\S+) (\S+) (.*)$/;

/**
 * Parses `nft monitor trace` text; returns, per probe packet (source, destination port), the rule that
 * gave the final verdict. Trace ids whose packet line does not match are ignored.
 */
export type RuleText = (family: string, table: string, handle: number) => string | undefined;

export function decidingRule(traceText: string, saddr: string, dport: number, packet: 'syn' | 'data' | 'udp' = 'syn', ruleText: RuleText = () => undefined): TraceVerdict | null {
  const packets = new Map<string, boolean>();
  const verdicts = new Map<string, TraceVerdict>();
  for (const raw of traceText.split('\n')) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const [, id, family, table, chain, rest] = m as unknown as [string, string, string, string, string, string];
    if (rest.startsWith('packet:')) {
      const syn = /tcp flags == syn\b(?! \|)/.test(rest);
      const kind = packet === 'udp' ? /\budp\b/.test(rest) : packet === 'syn' ? syn : !syn && !/\budp\b/.test(rest);
      const hit = new RegExp(`(ip6? saddr ${saddr.replace(/[^0-9A-Za-z]/g, '\\$&')}) `).test(rest + ' ') && new RegExp(`dport ${dport}\\b`).test(rest) && kind;
      if (!packets.has(id)) packets.set(id, hit);
      continue;
    }
    if (table === 'fwsafe_trace') continue;
    // A monitor started before a rule existed prints "unknown rule handle N": look the handle up.
    const unknown = /^unknown rule handle (\d+) \(verdict (\S+)\)$/.exec(rest);
    const rule = unknown ? [rest, ruleText(family, table, Number(unknown[1])) ?? `handle ${unknown[1]}`, unknown[2]] : /^rule (.*) \(verdict (\S+)\)$/.exec(rest);
    if (rule && rule[2] !== 'continue' && !/^jump|^goto/.test(rule[2]!)) {
      verdicts.set(id, { traceId: id, decidedBy: `${family} ${table} ${chain}: ${rule[1]!.replace(/ # handle \d+$/, '').replace(/counter packets \d+ bytes \d+/g, 'counter')}`, verdict: rule[2]! });
    } else if (/^policy (\S+)/.test(rest) || /^verdict (\S+)/.test(rest)) {
      const v = /^(?:policy|verdict) (\S+)/.exec(rest)![1]!;
      if (v === 'continue') continue;
      if (!verdicts.has(id) || /^policy/.test(rest)) verdicts.set(id, { traceId: id, decidedBy: `${family} ${table} ${chain}: ${rest.startsWith('policy') ? `policy ${v}` : `verdict ${v}`}`, verdict: v });
    }
  }
  let found: TraceVerdict | null = null;
  for (const [id, hit] of packets) if (hit && verdicts.has(id)) found = verdicts.get(id)!;
  return found;
}
