import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

const TERMINAL = new Set(['accept', 'drop', 'reject', 'goto', 'return']);
// (`limit` is a condition, not passive: rules after `limit rate over X drop` are reachable.)
const PASSIVE = new Set(['counter', 'log', 'comment']);

/** Rules after an unconditional verdict in the same chain never see a packet. */
export const unreachable: Analyser = (ctx) => {
  const out: FindingT[] = [];
  for (const table of ctx.result.tables) {
    if (!ctx.touched.includes(table.key)) continue;
    for (const chain of table.chains) {
      const idx = chain.rules.findIndex((r) => {
        const parsed = JSON.parse(r.key) as unknown[];
        const exprs = (Array.isArray(parsed[0]) ? parsed[0] : parsed) as Record<string, unknown>[];
        const keys = exprs.map((e) => Object.keys(e)[0] ?? '');
        return keys.some((k) => TERMINAL.has(k)) && keys.every((k) => TERMINAL.has(k) || PASSIVE.has(k));
      });
      if (idx === -1 || idx === chain.rules.length - 1) continue;
      const dead = chain.rules.length - idx - 1;
      out.push({
        code: 'UNREACHABLE_RULES',
        severity: 'warning',
        message: `${table.key}/${chain.name}: ${dead} rule${dead > 1 ? 's' : ''} after \`${chain.rules[idx]!.text}\` can never match.`,
        fix: 'Move the unconditional rule to the end of the chain, or remove the rules after it.',
        location: `${table.key}/${chain.name}`,
      });
    }
  }
  return out;
};
