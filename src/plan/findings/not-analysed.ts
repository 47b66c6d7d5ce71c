import { walkInput } from './packet-walk.js';
import { sshPackets } from './ssh-lockout.js';
import { isUnreadRule } from '../../ruleset/model.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

const MAX_LISTED = 5;
const UNREAD_WHY = 'nft -j printed it in a shape fwsafe does not read';

/**
 * Rules on the SSH path that the walk cannot follow (chain bindings, statements nft prints as raw
 * text, rules of an unread shape): the lockout analysis is uncertain there, and says so.
 */
export const notAnalysed: Analyser = (ctx) => {
  const seen = new Map<string, { why: string; what: Set<string> }>();
  for (const { port, state, packet } of sshPackets(ctx)) {
    for (const gap of walkInput(ctx.result, packet).gaps) {
      const entry = seen.get(gap.location) ?? { why: gap.why, what: new Set<string>() };
      seen.set(gap.location, entry);
      entry.what.add(state === 'new' ? `new SSH logins to port ${port}` : `established SSH sessions on port ${port}`);
    }
  }
  return [...seen].map(
    ([location, { why, what }]): FindingT => ({
      code: 'RULE_NOT_ANALYSED',
      severity: 'warning',
      message:
        `fwsafe cannot analyse ${location} (${why}); it may decide ${[...what].join(' and ')}, ` +
        'so the rule analysis is uncertain there.',
      fix:
        'Read that rule yourself; the real-packet probes (on by default against the live ruleset) ' +
        'still test what the kernel does.',
      location,
    }),
  );
};

function incomplete(location: string, items: string[]): FindingT {
  const more = items.length > MAX_LISTED ? `; and ${items.length - MAX_LISTED} more` : '';
  return {
    code: 'ANALYSIS_INCOMPLETE',
    severity: 'warning',
    message:
      `fwsafe could not read part of ${location}: ${items.slice(0, MAX_LISTED).join('; ')}${more}. ` +
      'The plan analyses the rest; the kernel still validated the whole change.',
    fix:
      'Check those objects by hand (nft -a list table …); please report the nft version and the object ' +
      'so fwsafe can learn its shape.',
    location,
  };
}

/** Everything of the ruleset after the change that fwsafe could not read, named by table and rule, with why. */
export const analysisIncomplete: Analyser = (ctx) => {
  const out: FindingT[] = [];
  if (ctx.result.unanalysed?.length) out.push(incomplete('the ruleset', ctx.result.unanalysed));
  for (const table of ctx.result.tables) {
    const rules = table.chains.flatMap((c) =>
      c.rules
        .filter((r) => r.opaque?.some(isUnreadRule))
        .map((r) => `chain ${c.name}: rule \`${r.text || `handle ${r.handle}`}\` (${UNREAD_WHY})`),
    );
    const items = [...(table.unanalysed ?? []), ...rules];
    if (items.length > 0) out.push(incomplete(`table ${table.key}`, items));
  }
  return out;
};
