import type { PlanT } from './schema.js';
import { colourDiff, paint } from '../cli/colour.js';

export interface RenderOptions {
  colour: boolean;
  width: number;
  markdown: boolean;
}

const fmt = (n: number | null): string => (n === null ? '—' : n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n));

function clip(line: string, width: number): string {
  return line.length > width ? line.slice(0, width - 1) + '…' : line;
}

/** The summary an admin reads first: scope, size, findings, traffic at risk. */
export function renderSummary(plan: PlanT, o: Pick<RenderOptions, 'colour'> = { colour: false }): string[] {
  const s = plan.diff.summary;
  const bySeverity = (sev: string): number => plan.findings.filter((f) => f.severity === sev).length;
  const errors = bySeverity('error');
  const touched = plan.touchedTables.map((t) => `${t.family} ${t.name}${t.owner ? ` (${t.owner})` : ''}`).join(', ') || 'none';
  const atRisk = plan.counters.reduce((n, c) => n + (c.packets ?? 0), 0);
  const lines = [
    `Tables touched: ${touched}`,
    `Rules: +${s.rulesAdded} −${s.rulesRemoved} ~${s.rulesChanged}   Chains: +${s.chainsAdded} −${s.chainsRemoved} ~${s.chainsChanged}   Sets changed: ${s.setsChanged}`,
    `Findings: ${errors} blocking, ${bySeverity('warning')} warnings, ${bySeverity('info')} notes`,
    `Traffic at risk: ${fmt(atRisk)} packets through ${plan.counters.filter((c) => c.kind !== 'policy').length} removed/changed rules`,
  ];
  if (plan.touchedTables.length === 0) lines.unshift('No changes: the proposal leaves the ruleset as it is.');
  if (errors > 0 && o.colour) lines[lines.length - 2] = paint.red(lines[lines.length - 2]!);
  return lines;
}

/** The whole plan for a terminal (80 columns) or, with markdown, for a pull-request comment. */
export function renderPlan(plan: PlanT, o: RenderOptions): string {
  const md = o.markdown;
  const out: string[] = [];
  const h = (title: string): void => {
    out.push('', md ? `### ${title}` : o.colour ? paint.bold(title) : title);
  };
  out.push(md ? `## fwsafe plan: \`${plan.proposal.path}\`` : `Plan for ${plan.proposal.path} (base ${plan.base.source} ${plan.base.hash.slice(0, 12)})`);
  if (md) out.push('');
  out.push(...renderSummary(plan, o).map((l) => (md ? `- ${l}` : l)));
  if (plan.findings.length) {
    h('Findings');
    for (const f of plan.findings) {
      const tag = `[${f.severity.toUpperCase()}] ${f.code}`;
      const head = o.colour && f.severity === 'error' ? paint.red(tag) : tag;
      out.push(md ? `- **${tag}** ${f.message}` : `${head}: ${f.message}`);
      out.push(md ? `  - fix: ${f.fix}` : `    fix: ${f.fix}`);
    }
  }
  if (plan.counters.length) {
    h('Traffic through what changes (live counters)');
    if (md) out.push('| packets | bytes | kind | where | rule |', '|---:|---:|---|---|---|');
    for (const c of plan.counters.slice(0, 20)) {
      const pk = c.hasCounter ? fmt(c.packets) : 'no counter';
      if (md) out.push(`| ${pk} | ${fmt(c.bytes)} | ${c.kind} | ${c.table}/${c.chain} | \`${c.text}\` |`);
      else out.push(clip(`${pk.padStart(10)}  ${c.kind.padEnd(12)} ${c.table}/${c.chain}: ${c.text}`, o.width));
    }
  }
  if (plan.diff.chains.length) {
    h('Chains');
    for (const c of plan.diff.chains) out.push(clip(`${md ? '- ' : ''}${c.kind} ${c.table}/${c.chain}${c.details.length ? ': ' + c.details.join(', ') : ''}`, md ? 1000 : o.width));
  }
  if (plan.diff.sets.length) {
    h('Sets');
    for (const s of plan.diff.sets) {
      out.push(clip(`${md ? '- ' : ''}${s.kind} ${s.table}/${s.set}: +${s.elementsAdded} −${s.elementsRemoved}${s.sampleAdded.length ? ` (e.g. +${s.sampleAdded.slice(0, 3).join(', ')})` : ''}`, md ? 1000 : o.width));
    }
  }
  if (plan.diff.unified) {
    h('Diff (normalised; handles and counters ignored)');
    if (md) out.push('```diff', plan.diff.unified.trimEnd(), '```');
    else out.push((o.colour ? colourDiff(plan.diff.unified) : plan.diff.unified).trimEnd());
  }
  return out.join('\n');
}
