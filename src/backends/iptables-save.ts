/** `-c` puts the counters in front of each rule: `[p:b] -A CHAIN …`. */
export const COUNTERS = /^\[(\d+):(\d+)\]\s+/;

/** One table of `iptables-save` output: its chains with policy (null for user chains) and rule counts. */
export interface SavedTable {
  name: string;
  chains: { name: string; policy: string | null; rules: number }[];
}

/** Parses `iptables-save` / `ip6tables-save` text (`*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN …`, `COMMIT`). */
export function parseIptablesSave(text: string | null): SavedTable[] {
  return parseSave(text).map((t) => ({
    name: t.name,
    chains: t.chains.map((c) => ({ name: c.name, policy: c.policy, rules: c.rules.length })),
  }));
}

/** One table of `iptables-save -c` output, chain by chain in order. */
export interface SavedChain {
  name: string;
  policy: string | null;
  counters: string | null;
  /** Rule lines without counters, as iptables-save prints them. */
  rules: string[];
  /** `[p:b]` of each rule (null when saved without -c). */
  ruleCounters: (string | null)[];
}

export interface SavedRuleset {
  name: string;
  chains: SavedChain[];
}

/** Parses iptables-save output (comments and warnings ignored); never throws. */
export function parseSave(text: string | null): SavedRuleset[] {
  const out: SavedRuleset[] = [];
  let table: SavedRuleset | null = null;
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = { name: line.slice(1).trim(), chains: [] };
      out.push(table);
    } else if (line === 'COMMIT') {
      table = null;
    } else if (table && line.startsWith(':')) {
      const [name = '', policy = '-', counters = null] = line.slice(1).split(/\s+/);
      table.chains.push({ name, policy: policy === '-' ? null : policy, counters, rules: [], ruleCounters: [] });
    } else if (table) {
      const c = COUNTERS.exec(line);
      const body = c ? line.slice(c[0].length) : line;
      const name = body.split(/\s+/)[1] ?? '';
      let chain = table.chains.find((x) => x.name === name);
      if (!chain) {
        chain = { name, policy: null, counters: null, rules: [], ruleCounters: [] };
        table.chains.push(chain);
      }
      chain.rules.push(body);
      chain.ruleCounters.push(c ? `[${c[1]}:${c[2]}]` : null);
    }
  }
  return out;
}
