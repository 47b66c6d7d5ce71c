import { statements, unquote } from '../../ruleset/scan.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

/** The plan records the proposal's own text; files it includes are read again when apply runs it. */
export const includes: Analyser = (ctx) => {
  // Most proposals include nothing: no walk of a 50k-rule text for them.
  if (!ctx.proposalText.includes('include')) return [];
  const files = statements(ctx.proposalText)
    .filter((s) => s.words[0] === 'include' && /^"[^"]+"$/.test(s.words[1] ?? ''))
    .map((s) => unquote(s.words[1]!));
  if (files.length === 0) return [];
  const list = [...new Set(files)].join(', ');
  const finding: FindingT = {
    code: 'PROPOSAL_INCLUDES_FILES',
    severity: 'warning',
    message: `The proposal includes ${list}. The plan records only the proposal's own text, so apply reads the included file${files.length > 1 ? 's' : ''} again: if ${files.length > 1 ? 'they change' : 'it changes'} before apply, what is applied is not what was reviewed (the drift check covers only the live ruleset).`,
    fix: 'Inline the included rules into the proposal so the plan holds all of it, or apply right after planning.',
    location: null,
  };
  return [finding];
};
