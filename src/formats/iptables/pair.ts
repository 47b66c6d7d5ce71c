import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import { familyOf, type IpFamily } from './family.js';

/**
 * A v4 and a v6 file planned and applied as one change travel as one proposal text: each file's text
 * after a marker line naming its family and path. The marker is an iptables-restore comment, so each
 * part is the user's file as written; plan files, the gate and history carry the pair unchanged.
 */
const MARKER = /^# fwsafe-family: (v4|v6) (.*)$/;

/** One family's file of a proposal: its text as written and the path to name in messages. */
export interface ProposalPart {
  family: IpFamily;
  path: string;
  text: string;
}

/** The proposal text of a v4 + v6 pair (see MARKER). */
export function pairText(parts: ProposalPart[]): string {
  return parts
    .map((p) => `# fwsafe-family: ${p.family} ${p.path}\n${p.text.endsWith('\n') ? p.text : `${p.text}\n`}`)
    .join('');
}

/** The parts of a pair's proposal text, in order; null when the text is one file. */
export function splitPair(text: string): ProposalPart[] | null {
  const parts: ProposalPart[] = [];
  let cur: { family: IpFamily; path: string; lines: string[] } | null = null;
  for (const line of text.split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      if (cur) parts.push({ family: cur.family, path: cur.path, text: cur.lines.join('\n') });
      cur = { family: m[1] as IpFamily, path: m[2]!, lines: [] };
    } else if (cur) cur.lines.push(line);
  }
  if (!cur) return null;
  parts.push({ family: cur.family, path: cur.path, text: cur.lines.join('\n') });
  return parts;
}

/** The files of one iptables proposal: the pair's two parts, or the one file with its family. */
export function proposalParts(text: string, path: string, explicit: IpFamily | null): ProposalPart[] {
  const pair = splitPair(text);
  if (!pair) return [{ family: familyOf(text, path, explicit).family, path, text }];
  const families = pair.map((p) => p.family);
  if (pair.length !== 2 || families[0] === families[1])
    throw new UserError(
      `${path}: a v4 + v6 change holds exactly one IPv4 and one IPv6 file; this one has ${families.join(' and ')}.`,
      { code: 'IPTABLES_PAIR', actions: ['Give one rules.v4 and one rules.v6 file (either order).'] },
    );
  if (explicit)
    throw new UserError(`--family ${explicit} names one family, but the change holds a v4 and a v6 file.`, {
      code: 'IPTABLES_PAIR',
      actions: ['Leave out --family: each file keeps its own (from its name or content).'],
    });
  // Each part is checked as the file it is: a v4 line in the v6 file is refused, naming that file's line.
  for (const p of pair) familyOf(p.text, p.path, p.family);
  return pair;
}

/**
 * `plan A B` / `apply A B`: two iptables-restore files of different families as one proposal text, with
 * the label that names both. Each file's family comes from its name, else its content.
 */
export function combinePair(files: { path: string; text: string }[]): { text: string; label: string } {
  const parts = files.map((f) => ({ path: resolve(f.path), text: f.text, family: familyOf(f.text, f.path).family }));
  if (parts[0]!.family === parts[1]!.family)
    throw new UserError(
      `${files[0]!.path} and ${files[1]!.path} are both ${parts[0]!.family === 'v4' ? 'IPv4' : 'IPv6'} files; two files form one change only as IPv4 + IPv6.`,
      {
        code: 'IPTABLES_PAIR',
        actions: ['Name them rules.v4 and rules.v6 (or ip6tables…), or put both families into one change per family.'],
      },
    );
  parts.sort((a, b) => a.family.localeCompare(b.family));
  return { text: pairText(parts), label: parts.map((p) => p.path).join(' + ') };
}

/**
 * The IPv6 boot file beside an IPv4 one, by the hosts' conventions: rules.v4 → rules.v6 (netfilter-persistent),
 * iptables → ip6tables (RHEL), NAME.v4 → NAME.v6. Anything else cannot be paired: the caller says so.
 */
export function v6Sibling(path: string): string | null {
  const name = basename(path);
  if (/\.v4$/.test(name)) return join(dirname(path), name.replace(/\.v4$/, '.v6'));
  if (name === 'iptables') return join(dirname(path), 'ip6tables');
  return null;
}
