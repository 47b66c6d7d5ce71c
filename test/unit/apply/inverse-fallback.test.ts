import { describe, expect, it } from 'vitest';
import { inverseDelta } from '../../../src/apply/inverse.js';
import { objectBlocks } from '../../../src/apply/object-blocks.js';
import {
  buildFallback,
  failedLines,
  nextChoice,
  noFallback,
  restoredWhole,
} from '../../../src/apply/inverse-fallback.js';
import { overwrittenObjects } from '../../../src/apply/overwritten-objects.js';
import { restoreTableScript } from '../../../src/plan/rollback.js';

// A table as `nft -a list` prints it: chain c (base) and d, a static set s.
const listing = (c: string[], d: string[], s: string): string =>
  [
    'table inet t { # handle 1',
    '\tset s { # handle 3',
    '\t\ttype ipv4_addr',
    `\t\telements = { ${s} }`,
    '\t}',
    '',
    '\tchain c { # handle 1',
    '\t\ttype filter hook input priority filter; policy accept;',
    ...c.map((r) => `\t\t${r}`),
    '\t}',
    '',
    '\tchain d { # handle 2',
    ...d.map((r) => `\t\t${r}`),
    '\t}',
    '}',
    '',
  ].join('\n');
const T = [{ family: 'inet', name: 't' }];
const BEFORE = listing(
  ['tcp dport 1 accept # handle 4', 'tcp dport 2 counter packets 3 bytes 120 accept # handle 5'],
  ['tcp dport 7 accept # handle 6'],
  '10.0.0.1',
);
// The change: removes dport 2, adds dport 9 to c; adds an element to s; d untouched.
const AFTER = listing(
  ['tcp dport 1 accept # handle 4', 'tcp dport 9 drop # handle 8'],
  ['tcp dport 7 accept # handle 6'],
  '10.0.0.1, 10.0.0.2',
);
const WHOLE = restoreTableScript('inet', 't', BEFORE);

describe('per-object fallback of the inverse rollback', () => {
  const inv = inverseDelta(BEFORE, AFTER, T, WHOLE);

  it('apply records each object the inverse touches and where its block stands in the whole-table script', () => {
    expect(inv.objects.map((o) => `${o.kind} ${o.name} ${o.change}`)).toEqual([
      'table  table',
      'chain c changed',
      'set s changed',
    ]);
    const blocks = objectBlocks(WHOLE);
    const c = blocks.get('inet t chain c')!;
    expect(WHOLE.slice(c[0], c[1])).toBe(
      '\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 1 accept\n\t\ttcp dport 2 counter packets 3 bytes 120 accept\n\t}\n',
    );
    expect(WHOLE.slice(...blocks.get('inet t')!)).toBe(WHOLE);
    // one origin per line of the script
    expect(inv.origins).toHaveLength(inv.nftScript.split('\n').length - 1);
  });

  it('reads the lines nft refused from its errors', () => {
    const stderr =
      '/dev/stdin:2:26-37: Error: Could not process rule: No such file or directory\nadd rule …\n   ^^^^\n/dev/stdin:4:31-41: Error: element does not exist\n';
    expect(failedLines(stderr)).toEqual([
      { line: 2, message: 'Could not process rule: No such file or directory' },
      { line: 4, message: 'element does not exist' },
    ]);
  });

  it('a refused line of chain c: c is emptied first and refilled last as it was, counters included; the set stays inverted', () => {
    const line = inv.nftScript.split('\n').findIndex((l) => l.startsWith('add rule inet t c position')) + 1;
    const first = { script: inv.nftScript, origins: inv.origins.map((object) => ({ object, restore: false })) };
    const choice = nextChoice(
      inv,
      first,
      `/dev/stdin:${line}:1-3: Error: Could not process rule: No such file or directory\n`,
      noFallback(),
    )!;
    expect(restoredWhole(inv, choice)).toEqual(['chain inet t c']);
    const built = buildFallback(inv, WHOLE, choice)!;
    expect(built.script).toBe(
      [
        'add chain inet t c { type filter hook input priority filter; policy accept; }',
        'flush chain inet t c',
        'delete element inet t s { 10.0.0.2 }',
        'add chain inet t c {',
        '\t\ttype filter hook input priority filter; policy accept;',
        '\t\ttcp dport 1 accept',
        '\t\ttcp dport 2 counter packets 3 bytes 120 accept',
        '}',
        '',
      ].join('\n'),
    );
    // its refill refused too: the table is restored whole, and nothing more is tried after that
    const refill = built.script.split('\n').indexOf('add chain inet t c {') + 1;
    const worse = nextChoice(
      inv,
      built,
      `/dev/stdin:${refill}:1-3: Error: Could not process rule: No such file or directory\n`,
      choice,
    )!;
    expect(restoredWhole(inv, worse)).toEqual(['table inet t']);
    const whole = buildFallback(inv, WHOLE, worse)!;
    expect(whole.script).toBe(WHOLE);
    expect(nextChoice(inv, whole, '/dev/stdin:3:1-3: Error: Device or resource busy\n', worse)).toBeNull();
    // nft said nothing about a line: nothing to try but the whole-table restore
    expect(nextChoice(inv, first, 'Error: netlink: something\n', noFallback())).toBeNull();
  });

  it('a chain the change created that is gone already is not deleted again; one another program uses restores the table', () => {
    const after = AFTER.replace('\tchain d {', '\tchain x { # handle 9\n\t\tcounter # handle 10\n\t}\n\n\tchain d {');
    const withX = inverseDelta(BEFORE, after, T, WHOLE);
    const x = withX.objects.findIndex((o) => o.name === 'x');
    expect(withX.objects[x]).toMatchObject({ kind: 'chain', change: 'created', block: null });
    const line = withX.origins.indexOf(x) + 1;
    const first = { script: withX.nftScript, origins: withX.origins.map((object) => ({ object, restore: false })) };
    const gone = nextChoice(withX, first, `/dev/stdin:${line}:1-3: Error: No such file or directory\n`, noFallback())!;
    expect([...gone.dropped]).toEqual([x]);
    expect(buildFallback(withX, WHOLE, gone)!.script).not.toContain('chain inet t x');
    const busy = nextChoice(
      withX,
      first,
      `/dev/stdin:${line + 1}:1-3: Error: Device or resource busy\n`,
      noFallback(),
    )!;
    expect(restoredWhole(withX, busy)).toEqual(['table inet t']);
  });

  it('a chain the change deleted is re-created with `create`; one another program made again (File exists) is restored whole, emptied first and refilled last', () => {
    const gone = AFTER.replace(/\tchain d \{[^}]*\}\n/, '');
    const inv2 = inverseDelta(BEFORE, gone, T, WHOLE);
    const d = inv2.objects.findIndex((o) => o.name === 'd');
    expect(inv2.objects[d]).toMatchObject({ kind: 'chain', change: 'deleted' });
    const lines = inv2.nftScript.split('\n');
    const line = lines.indexOf('create chain inet t d') + 1;
    expect(line).toBeGreaterThan(0);
    expect(lines).toContain('add rule inet t d tcp dport 7 accept');
    const first = { script: inv2.nftScript, origins: inv2.origins.map((object) => ({ object, restore: false })) };
    const exists = nextChoice(
      inv2,
      first,
      `/dev/stdin:${line}:24-24: Error: Could not process rule: File exists\n`,
      noFallback(),
    )!;
    expect([...exists.wholeObjects]).toEqual([d]);
    expect(restoredWhole(inv2, exists)).toEqual(['chain inet t d']);
    const built = buildFallback(inv2, WHOLE, exists)!.script.split('\n');
    expect(built.slice(0, 2)).toEqual(['add chain inet t d', 'flush chain inet t d']);
    expect(built).not.toContain('create chain inet t d');
    expect(built.slice(-4)).toEqual(['add chain inet t d {', '\t\ttcp dport 7 accept', '}', '']);
    // Any other refusal of a deleted chain's line still restores its table whole.
    const other = nextChoice(
      inv2,
      first,
      `/dev/stdin:${line + 1}:1-3: Error: No such file or directory\n`,
      noFallback(),
    )!;
    expect(restoredWhole(inv2, other)).toEqual(['table inet t']);
  });

  it('a set the change deleted is re-created with `create` (declaration) before its elements; made again by another program: restored whole', () => {
    const gone = AFTER.replace(/\tset s \{[^}]*\}[^}]*\}\n\n/, '');
    expect(gone).not.toContain('set s');
    const inv3 = inverseDelta(BEFORE, gone.replace('ip saddr @s drop', ''), T, WHOLE);
    const i = inv3.objects.findIndex((o) => o.name === 's');
    expect(inv3.objects[i]).toMatchObject({ kind: 'set', change: 'deleted' });
    const lines = inv3.nftScript.split('\n');
    const line = lines.indexOf('create set inet t s {') + 1;
    expect(lines.slice(line - 1, line + 2)).toEqual(['create set inet t s {', 'type ipv4_addr', '}']);
    const first = { script: inv3.nftScript, origins: inv3.origins.map((object) => ({ object, restore: false })) };
    const exists = nextChoice(
      inv3,
      first,
      `/dev/stdin:${line}:19-19: Error: Could not process rule: File exists\n`,
      noFallback(),
    )!;
    expect(restoredWhole(inv3, exists)).toEqual(['set inet t s']);
    const built = buildFallback(inv3, WHOLE, exists)!.script;
    expect(built.startsWith('flush set inet t s\n')).toBe(true);
    expect(built).not.toContain('create set');
    expect(built).toContain('add set inet t s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1 }\n}\n');
  });

  it('a block that is not where apply recorded it is never cut blindly', () => {
    const choice = { ...noFallback(), wholeObjects: new Set([1]) };
    expect(buildFallback(inv, `#${WHOLE}`, choice)).toBeNull();
    // nor a script whose lines do not all name their object
    expect(buildFallback({ ...inv, origins: inv.origins.slice(1) }, WHOLE, choice)).toBeNull();
  });

  it('what restoring chain c overwrote: what others added to it is lost, what they deleted from it is put back', () => {
    const fp = (c: string[], d: string[]) => ({
      'inet t': `table inet t {\n\tchain c {\n${c.map((r) => `\t\t${r}`).join('\n')}\n\t}\n\tchain d {\n${d.map((r) => `\t\t${r}`).join('\n')}\n\t}\n}\n`,
    });
    const before = fp(['tcp dport 1 accept', 'tcp dport 2 counter accept'], ['tcp dport 7 accept']);
    const expected = fp(['tcp dport 1 accept', 'tcp dport 9 drop'], ['tcp dport 7 accept']);
    const live = fp(['tcp dport 25 drop', 'tcp dport 9 drop'], ['tcp dport 7 accept', 'tcp dport 53 accept']);
    expect(overwrittenObjects(new Map([['inet t', ['chain c']]]), before, expected, live)).toEqual([
      {
        table: 'inet t',
        object: 'chain c',
        lost: ['tcp dport 25 drop'],
        putBack: ['tcp dport 1 accept'],
        removed: false,
      },
    ]);
    // the whole table: chain d's addition is named too
    expect(
      overwrittenObjects(new Map([['inet t', '*']]), before, expected, live).map((o) => [o.object, o.lost]),
    ).toEqual([
      ['chain c', ['tcp dport 25 drop']],
      ['chain d', ['tcp dport 53 accept']],
    ]);
  });
});
