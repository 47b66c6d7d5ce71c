import type { PlanT } from './schema.js';
import { colourDiff, paint } from '../cli/colour.js';
import { renderZoneDiff } from '../formats/firewalld/render.js';
import { escapeStrings } from '../cli/terminal-text.js';

export interface RenderOptions {
  colour: boolean;
  width: number;
  markdown: boolean;
}

const fmt = (n: number | null): string =>
  n === null
    ? '—'
    : n >= 1e9
      ? `${(n / 1e9).toFixed(1)}G`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(1)}M`
        : n >= 1e4
          ? `${(n / 1e3).toFixed(0)}k`
          : String(n);

function clip(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** Word-wraps text to width; continuation lines get `indent`. A word longer than a line (a path) is kept whole. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 && line === '' ? '' : indent;
    if (line === '') line = prefix + word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = indent + word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Packets through removed/changed rules: the traffic the change puts at risk. */
export function trafficAtRisk(plan: PlanT): number {
  return plan.counters.filter((c) => c.kind !== 'policy').reduce((n, c) => n + (c.packets ?? 0), 0);
}

/** The summary an admin reads first: scope, size, findings, traffic at risk (apply shows it too). */
export function renderSummary(plan: PlanT, o: Pick<RenderOptions, 'colour'> = { colour: false }): string[] {
  const s = plan.diff.summary;
  const bySeverity = (sev: string): number => plan.findings.filter((f) => f.severity === sev).length;
  const errors = bySeverity('error');
  const touched =
    plan.touchedTables
      .map(
        (t) =>
          `${t.family} ${t.name}${t.owner ? ` (${t.owner})` : ''}${t.existedBefore ? '' : ' (new)'}${t.existsAfter ? '' : ' (deleted)'}`,
      )
      .join(', ') || 'none';
  const busy = plan.counters.filter((c) => c.kind !== 'policy' && (c.packets ?? 0) > 0).length;
  const lines = [
    `Tables touched: ${touched}`,
    `Rules: +${s.rulesAdded} −${s.rulesRemoved} ~${s.rulesChanged}   Chains: +${s.chainsAdded} −${s.chainsRemoved} ~${s.chainsChanged}   Sets changed: ${s.setsChanged}`,
    `Findings: ${errors} blocking, ${bySeverity('warning')} warnings, ${bySeverity('info')} notes`,
    `Traffic at risk: ${fmt(trafficAtRisk(plan))} packets through ${plan.counters.filter((c) => c.kind !== 'policy').length} removed/changed rules${busy ? ` (${busy} with traffic)` : ''}`,
  ];
  if (plan.touchedTables.length === 0) lines.unshift('No changes: the proposal leaves the ruleset as it is.');
  if (errors > 0 && o.colour) lines[lines.length - 2] = paint.red(lines[lines.length - 2]!);
  return lines;
}

/** Which live tables a plan listed (absent when it listed them all): the probes loaded these. */
function listedLine(plan: PlanT): string | null {
  const { listed, notListed } = plan.base;
  if (!listed) return null;
  const names = listed.join(', ') || 'none';
  if (notListed === undefined) return `Live tables listed and loaded by the probes: ${names}`;
  const skipped = notListed.length ? `; ${notListed.length} hooked table(s) not listed (TABLES_NOT_ANALYSED)` : '';
  return `Live tables listed: ${names}${skipped}`;
}

/** The whole plan for a terminal (80 columns) or, with markdown, for a pull-request comment. */
export function renderPlan(raw: PlanT, o: RenderOptions): string {
  // Colour is added around the plan's text, so that text is escaped before (BaseCommand.logPainted).
  const plan = o.colour ? escapeStrings(raw) : raw;
  const md = o.markdown;
  const width = Math.max(40, o.width);
  const out: string[] = [];
  const h = (title: string): void => {
    out.push('', md ? `### ${title}` : o.colour ? paint.bold(title) : title);
  };
  const base = `${plan.base.source}${plan.base.ref ? ` ${plan.base.ref}` : ''}, ${plan.base.hash.slice(0, 12)}`;
  if (md) out.push(`## fwsafe plan: \`${plan.proposal.path}\``, '', `Base: ${base}`, '');
  else out.push(...wrap(`Plan for ${plan.proposal.path} (base ${base})`, width, '  '));
  out.push(...renderSummary(plan, o).map((l) => (md ? `- ${l}` : l)));
  const listed = listedLine(plan);
  if (listed) out.push(...(md ? [`- ${listed}`] : wrap(listed, width, '  ')));
  if (plan.findings.length) {
    h('Findings');
    for (const f of plan.findings) {
      const tag = `[${f.severity.toUpperCase()}] ${f.code}`;
      if (md) {
        out.push(`- **${tag}** ${f.message}`, `  - fix: ${f.fix}`);
        continue;
      }
      const lines = wrap(`${tag}: ${f.message}`, width, '    ');
      if (o.colour && f.severity === 'error') lines[0] = lines[0]!.replace(tag, paint.red(tag));
      out.push(...lines, ...wrap(`fix: ${f.fix}`, width - 4, '     ').map((l) => `    ${l}`));
    }
  }
  if (plan.firewalld) {
    h('firewalld zones (runtime now; permanent on confirm)');
    const zones = renderZoneDiff(plan.firewalld.diff);
    if (md) out.push('```diff', ...zones, '```');
    else out.push(...zones.map((l) => (o.colour && /^\s+[+-] /.test(l) ? colourDiff(l) : l)));
    h('Operations, and their inverse (the rollback)');
    for (const op of plan.firewalld.ops)
      out.push(clip(`${md ? '- ' : '  '}line ${op.line}: firewall-cmd ${op.argv.join(' ')}`, md ? 1000 : width));
    for (const argv of plan.firewalld.rollbackOps)
      out.push(clip(`${md ? '- ' : '  '}undo: firewall-cmd ${argv.join(' ')}`, md ? 1000 : width));
  }
  if (plan.counters.length) {
    h('Traffic through what changes (live counters; ! = carried traffic)');
    if (md) out.push('| | packets | bytes | kind | where | rule |', '|---|---:|---:|---|---|---|');
    for (const c of plan.counters.slice(0, 20)) {
      // A policy turning to drop over counted traffic is the riskiest line of all.
      const hot = (c.packets ?? 0) > 0 && (c.kind !== 'policy' || /→ (drop|reject)/.test(c.text));
      const pk = c.hasCounter ? fmt(c.packets) : c.kind === 'policy' ? '' : 'no counter';
      if (md)
        out.push(`| ${hot ? '⚠️' : ''} | ${pk} | ${fmt(c.bytes)} | ${c.kind} | ${c.table}/${c.chain} | \`${c.text}\` |`);
      else {
        const line = clip(
          `${hot ? '!' : ' '}${pk.padStart(10)}  ${c.kind.padEnd(12)} ${c.table}/${c.chain}: ${c.text}`,
          width,
        );
        out.push(hot && o.colour ? paint.red(line) : line);
      }
    }
    if (plan.counters.length > 20) out.push(`${md ? '- ' : ''}… and ${plan.counters.length - 20} more (see --json)`);
  }
  if (plan.diff.chains.length) {
    h('Chains');
    for (const c of plan.diff.chains)
      out.push(
        clip(
          `${md ? '- ' : ''}${c.kind} ${c.table}/${c.chain}${c.details.length ? `: ${c.details.join(', ')}` : ''}`,
          md ? 1000 : width,
        ),
      );
  }
  if (plan.diff.sets.length) {
    h('Sets');
    for (const s of plan.diff.sets) {
      const sample = [
        ...s.sampleAdded.slice(0, 3).map((e) => `+${e}`),
        ...s.sampleRemoved.slice(0, 3).map((e) => `−${e}`),
      ].join(', ');
      out.push(
        clip(
          `${md ? '- ' : ''}${s.kind} ${s.table}/${s.set}: +${s.elementsAdded} −${s.elementsRemoved}${sample ? ` (e.g. ${sample})` : ''}`,
          md ? 1000 : width,
        ),
      );
    }
  }
  if (plan.diff.unified) {
    h('Diff (normalised; handles and counters ignored)');
    // A large change (a new 10k-rule table) would bury everything above it: the whole diff is in the plan file.
    const all = plan.diff.unified.trimEnd().split('\n');
    const max = md ? 500 : 200;
    const shown = all.slice(0, max).join('\n');
    if (md) out.push('```diff', shown, '```');
    else out.push(o.colour ? colourDiff(shown) : shown);
    if (all.length > max)
      out.push(
        `${md ? '\n' : ''}… ${all.length - max} more diff lines: the whole diff is \`diff.unified\` in --json / --out.`,
      );
  }
  return out.join('\n');
}
