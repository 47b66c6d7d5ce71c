import type { DeclaredFlowT, FlowClassT, FlowInventoryT } from './schema.js';

const fit = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** `tcp in 10.0.0.0/24 → 10.0.0.1:9100` as a firewall rule would see a class. */
export function describeClass(c: FlowClassT): string {
  const port = c.port === null ? '' : `:${c.port}`;
  const arrow = c.direction === 'in' ? `${c.peer} → ${c.local}${port}` : `${c.local} → ${c.peer}${port}`;
  return `${c.proto} ${c.direction} ${arrow}`;
}

export function describeDeclared(f: DeclaredFlowT): string {
  const to = f.to === null && f.port !== null ? `:${f.port}` : f.port !== null ? `${f.to}:${f.port}` : (f.to ?? 'here');
  return [f.proto, f.direction, f.from ? `from ${f.from}` : null, `to ${to}`, f.name ? `(${f.name})` : null]
    .filter(Boolean)
    .join(' ');
}

/** The inventory for a terminal: classes biggest first, listeners, declared flows, and what was not seen. */
export function renderInventory(inv: FlowInventoryT): string {
  const out: string[] = [];
  const tracking =
    inv.conntrack === 'tracked'
      ? `${inv.classes.length + inv.omittedClasses} flow classes from conntrack`
      : inv.conntrack === 'unavailable'
        ? 'conntrack is not installed: no live flows'
        : 'conntrack has no entries (tracking starts once a ruleset uses ct or NAT)';
  out.push(
    `Flows of ${inv.netns ?? 'this host'}: ${tracking}; ${inv.listeners.length} listening sockets; ${inv.declared.length} declared flows. Collected in ${inv.durationMs} ms.`,
  );
  if (inv.forwarding.ipv4 || inv.forwarding.ipv6)
    out.push(
      `Forwarding is on (${[inv.forwarding.ipv4 ? 'IPv4' : '', inv.forwarding.ipv6 ? 'IPv6' : ''].filter(Boolean).join(', ')}).`,
    );
  if (inv.classes.length > 0) {
    out.push('', 'Live flow classes (connections, established, packets, process)');
    for (const c of inv.classes) {
      out.push(
        `  ${fit(describeClass(c), 56)} ${String(c.connections).padStart(5)} ${String(c.established).padStart(5)} ${String(c.packets ?? '-').padStart(9)}  ${c.process ?? ''}`.trimEnd(),
      );
    }
    if (inv.omittedClasses > 0) out.push(`  … and ${inv.omittedClasses} smaller classes (raise --top to see them)`);
  }
  if (inv.listeners.length > 0) {
    out.push('', 'Listening');
    for (const l of inv.listeners)
      out.push(
        `  ${fit(`${l.proto} ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`, 40)} ${l.process ?? ''}${l.pid ? ` (pid ${l.pid})` : ''}`.trimEnd(),
      );
  }
  if (inv.declared.length > 0) {
    out.push('', `Declared in ${inv.declaredFrom}`);
    for (const f of inv.declared) out.push(`  line ${String(f.line).padEnd(4)} ${describeDeclared(f)}`);
  }
  return out.join('\n');
}
