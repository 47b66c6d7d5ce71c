import { objectLines, type Fingerprint } from './observe.js';

/** What a rollback overwrote in one object (a chain or set) that it restored whole: others' work, by line. */
export interface OverwrittenObjectT {
  /** `inet mine` */
  table: string;
  /** `chain input`, `set blocklist`, `table header` */
  object: string;
  /** Rules (or elements, declaration lines) others added in the window that the restore removed. */
  lost: string[];
  /** Rules (or elements) others deleted in the window that the restore put back. */
  putBack: string[];
  /** The object itself was created by others in the window and is gone with the restore. */
  removed: boolean;
}

// An object's opening line and a set's `elements = {` carry nothing of their own.
const OPENER = /^(?:(?:chain|set|map|flowtable|counter|quota|limit|ct \S+) \S+ \{|elements = \{)$/;

/** The object's lines, elements without their trailing comma. */
function linesOf(map: Map<string, string[]>, object: string): string[] {
  return (map.get(object) ?? []).filter((l) => !OPENER.test(l)).map((l) => l.replace(/,$/, ''));
}

/**
 * What restoring objects whole (`{ table: ['chain input'] }`, or `'*'` for a table restored whole)
 * overwrote: for each, the lines others added (live, but neither before the change nor its own) and the
 * lines others deleted (before the change and kept by it, but not live) — from the touched tables' texts
 * before the change, as the change left them and as listed just before the rollback.
 */
export function overwrittenObjects(
  restored: Map<string, string[] | '*'>,
  before: Fingerprint,
  expected: Fingerprint,
  live: Fingerprint,
): OverwrittenObjectT[] {
  const out: OverwrittenObjectT[] = [];
  for (const [table, which] of restored) {
    const b = objectLines(before[table] ?? '');
    const e = objectLines(expected[table] ?? '');
    const l = objectLines(live[table] ?? '');
    const names = which === '*' ? [...new Set([...b.keys(), ...e.keys(), ...l.keys()])] : which;
    for (const object of names) {
      const was = new Set(linesOf(b, object));
      const left = new Set(linesOf(e, object));
      const now = linesOf(l, object);
      const nowSet = new Set(now);
      const lost = now.filter((x) => !was.has(x) && !left.has(x));
      const putBack = [...was].filter((x) => left.has(x) && !nowSet.has(x));
      const removed = l.has(object) && !b.has(object) && !e.has(object);
      if (lost.length > 0 || putBack.length > 0 || removed) out.push({ table, object, lost, putBack, removed });
    }
  }
  return out;
}

/** One sentence per object, for `overwritten` and the log: `inet mine chain input (restored whole: lost …)`. */
export function describeOverwritten(o: OverwrittenObjectT): string {
  const quote = (xs: string[]): string =>
    xs
      .slice(0, 5)
      .map((x) => `"${x}"`)
      .join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');
  const parts: string[] = [];
  if (o.removed) parts.push('created by others meanwhile, removed');
  if (o.lost.length > 0) parts.push(`lost what others added: ${quote(o.lost)}`);
  if (o.putBack.length > 0) parts.push(`put back what others deleted: ${quote(o.putBack)}`);
  return `${o.table} ${o.object} (restored whole: ${parts.join('; ')})`;
}
