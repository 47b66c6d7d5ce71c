/** One table of `iptables-save` output: its chains with policy (null for user chains) and rule counts. */
export interface SavedTable {
  name: string;
  chains: { name: string; policy: string | null; rules: number }[];
}

/** Parses `iptables-save` / `ip6tables-save` text (`*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN …`, `COMMIT`). */
export function parseIptablesSave(text: string | null): SavedTable[] {
  const tables: SavedTable[] = [];
  let table: SavedTable | null = null;
  for (const raw of (text ?? '').split('\n')) {
    // `-c` puts the counters in front of each rule: `[p:b] -A CHAIN …`.
    const line = raw.trim().replace(/^\[\d+:\d+\]\s+/, '');
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [] };
      tables.push(table);
    } else if (table && line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      table.chains.push({ name, policy: policy === '-' ? null : policy, rules: 0 });
    } else if (table && line.startsWith('-A ')) {
      const name = line.split(/\s+/)[1];
      const chain = table.chains.find((c) => c.name === name);
      if (chain) chain.rules += 1;
      else table.chains.push({ name: name ?? '', policy: null, rules: 1 });
    }
  }
  return tables;
}
