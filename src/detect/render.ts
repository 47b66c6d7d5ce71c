import type { DetectResultT, DetectedTableT } from './schema.js';

const WIDTH = 80;

/** Wraps words to the width, every line indented. */
export function wrap(text: string, indent: string, width = WIDTH, hanging = indent): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() && line.length + 1 + word.length > width) {
      lines.push(line);
      line = hanging;
    }
    line += (line.trim() ? ' ' : '') + word;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;
const fit = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

function tableLines(t: DetectedTableT): string[] {
  const head = `  ${fit(`${t.family} ${t.name}`, 26)} ${fit(t.owner, 21)} ${plural(t.chains.length, 'chain').padStart(10)} ${plural(t.rules, 'rule').padStart(11)}`;
  const foreign = new Map<string, string[]>();
  for (const c of t.chains) if (c.owner !== t.owner) foreign.set(c.owner, [...(foreign.get(c.owner) ?? []), c.name]);
  return [
    head.trimEnd(),
    ...[...foreign].flatMap(([owner, names]) => wrap(`${owner} chains: ${names.join(', ')}`, '      ')),
  ];
}

function families(b: { v4: boolean; v6: boolean }): string {
  return [b.v4 ? 'IPv4' : '', b.v6 ? 'IPv6' : ''].filter(Boolean).join(' + ');
}

/** Human report of `fwsafe detect`, at most 80 columns wide. */
export function renderDetect(r: DetectResultT): string {
  const b = r.backends;
  const out: string[] = [
    `Backends ${r.netns ? `in network namespace ${r.netns}` : 'in the root network namespace'} (${r.durationMs} ms)`,
    '',
  ];
  const section = (name: string, present: boolean, summary: string, tables: DetectedTableT[]): void => {
    out.push(`${fit(name, 18)} ${present ? summary : 'not present'}`.trimEnd());
    for (const t of tables) out.push(...tableLines(t));
  };
  section(
    'nftables (native)',
    b.nftables.present,
    `${plural(b.nftables.tables.length, 'table')}, ${plural(b.nftables.rules, 'rule')}`,
    b.nftables.tables,
  );
  section(
    'iptables-nft',
    b.iptablesNft.present,
    `${families(b.iptablesNft)}: ${plural(b.iptablesNft.tables.length, 'table')}, ${plural(b.iptablesNft.rules, 'rule')}`,
    b.iptablesNft.tables,
  );
  section(
    'iptables-legacy',
    b.iptablesLegacy.present,
    `${families(b.iptablesLegacy)}: ${plural(b.iptablesLegacy.tables.length, 'table')}, ${plural(b.iptablesLegacy.rules, 'rule')}`,
    b.iptablesLegacy.tables,
  );
  const fw = b.firewalld;
  out.push(
    `${fit('firewalld', 18)} ${fw.running ? `running, default zone ${fw.defaultZone ?? '?'}` : fw.present ? `${fw.tables.length > 0 ? 'table' : 'chains'} present, daemon not answering` : 'not present'}`,
  );
  if (fw.activeZones.length > 0) {
    const zones = fw.activeZones.map((z) =>
      z.interfaces.length + z.sources.length > 0 ? `${z.name} (${[...z.interfaces, ...z.sources].join(', ')})` : z.name,
    );
    out.push(...wrap(`active zones: ${zones.join('; ')}`, '  '));
  }
  out.push('');
  for (const c of r.iptablesCommands) {
    out.push(
      ...wrap(
        `${c.command} is ${c.variant === 'missing' ? 'not installed' : `${c.variant} (${c.resolvesTo ?? c.path})`}`,
        '',
      ),
    );
  }
  if (r.conntrack) {
    out.push(
      `conntrack: ${r.conntrack.count} entries${r.conntrack.max ? ` of ${r.conntrack.max} (${r.conntrack.percent}%)` : ''}`,
    );
  }
  if (r.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of r.warnings) {
      out.push(`  ${w.severity === 'warning' ? '!' : 'i'} ${w.code}`);
      out.push(...wrap(w.message, '    '));
      for (const a of w.actions) out.push(...wrap(`→ ${a}`, '    ', WIDTH, '      '));
    }
  }
  return out.join('\n');
}
