import type { z } from 'zod';
import type { ZoneDiff } from './schema.js';
import type { FirewalldStateT } from './state.js';

type ZoneDiffT = z.infer<typeof ZoneDiff>;

/** A zone-level diff as text: one block per zone or policy, `+ service https`, `- service cockpit`. */
export function renderZoneDiff(diff: ZoneDiffT): string[] {
  const out: string[] = [];
  if (diff.defaultZone) out.push(`default zone: ${diff.defaultZone.from} → ${diff.defaultZone.to}`);
  const byContainer = new Map<string, ZoneDiffT['changes']>();
  for (const c of diff.changes)
    byContainer.set(`${c.kind} ${c.container}`, [...(byContainer.get(`${c.kind} ${c.container}`) ?? []), c]);
  for (const [name, changes] of byContainer) {
    out.push(`${name}:`);
    for (const c of changes) {
      for (const v of c.added) out.push(`  + ${c.item}${v === 'yes' ? '' : ` ${v}`}`);
      for (const v of c.removed) out.push(`  - ${c.item}${v === 'yes' ? '' : ` ${v}`}`);
    }
  }
  if (out.length === 0) out.push('no zone changes');
  return out;
}

const ORDER = [
  'target',
  'interface',
  'source',
  'service',
  'port',
  'protocol',
  'source-port',
  'icmp-block',
  'icmp-block-inversion',
  'forward',
  'masquerade',
  'forward-port',
  'rich-rule',
  'ingress-zone',
  'egress-zone',
];

/** firewalld's zones as text (show/diff): the default zone, then each zone that holds something. */
export function renderZones(state: {
  defaultZone: string | null;
  zones: Record<string, Record<string, string[]>>;
}): string[] {
  const out = [`firewalld: default zone ${state.defaultZone ?? '?'}`];
  for (const [name, items] of Object.entries(state.zones)) {
    const lines = ORDER.filter(
      (k) => (items[k] ?? []).length > 0 && !(k === 'target' && items[k]![0] === 'default'),
    ).map((k) => `    ${k}: ${items[k]!.join(k === 'rich-rule' ? '\n      ' : ' ')}`);
    out.push(
      `  zone ${name}${name === state.defaultZone ? ' (default)' : ''}${lines.length ? '' : ': empty'}`,
      ...lines,
    );
  }
  return out;
}

export type { FirewalldStateT };
