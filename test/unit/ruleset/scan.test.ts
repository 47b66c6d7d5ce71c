import { describe, expect, it } from 'vitest';
import {
  braceDelta,
  firstToken,
  splitComment,
  statements,
  stripComments,
  tokens,
  topLevel,
  unquote,
  words,
} from '../../../src/ruleset/scan.js';

describe('tokens', () => {
  it('gives each token its kind, line and column', () => {
    const got = tokens('table inet f {\n\tchain c; # note\n}').map((t) => [t.kind, t.text, t.line, t.col]);
    expect(got).toEqual([
      ['word', 'table', 1, 1],
      ['word', 'inet', 1, 7],
      ['word', 'f', 1, 12],
      ['open', '{', 1, 14],
      ['end', '\n', 1, 15],
      ['word', 'chain', 2, 2],
      ['word', 'c', 2, 8],
      ['end', ';', 2, 9],
      ['comment', '# note', 2, 11],
      ['end', '\n', 2, 17],
      ['close', '}', 3, 1],
    ]);
  });

  it('a # inside a string is not a comment: include "/a#b.nft"', () => {
    expect(tokens('include "/a#b.nft"').map((t) => [t.kind, t.text])).toEqual([
      ['word', 'include'],
      ['word', '"/a#b.nft"'],
    ]);
  });

  it('a comment after a string holding # starts at the # outside the string', () => {
    const line = 'add rule inet f c accept comment "a#b" # why "x';
    expect(tokens(line).at(-1)).toMatchObject({ kind: 'comment', text: '# why "x', col: 40 });
    expect(splitComment(line)).toEqual({ code: 'add rule inet f c accept comment "a#b" ', comment: '# why "x' });
  });

  it('a # anywhere outside a string starts a comment, as nft reads it (`accept#x` is `accept`)', () => {
    expect(words('accept#x "y"')).toEqual(['accept']);
  });

  it('a backslash does not escape a quote, as in nft 1.0.6 (it refuses comment "a\\"b": the string ends there)', () => {
    // The string is `"a\"`; the quote after b opens another one, which runs to the line end.
    expect(words('comment "a\\" b" # c')).toEqual(['comment', '"a\\"', 'b" # c']);
    expect(stripComments('comment "a\\" # c\n')).toBe('comment "a\\" \n');
  });

  it('an unterminated string ends at its line end, so the next line is read', () => {
    expect(words('comment "open\nlist ruleset')).toEqual(['comment', '"open', 'list', 'ruleset']);
  });

  it('colon-heavy words stay whole: ::ffff:192.0.2.1, vmap entries, ranges', () => {
    expect(words('ip6 saddr { ::ffff:192.0.2.1, 2001:db8::/32 } iif vmap { "eth0" : accept }')).toEqual([
      'ip6',
      'saddr',
      '::ffff:192.0.2.1',
      '2001:db8::/32',
      'iif',
      'vmap',
      '"eth0"',
      ':',
      'accept',
    ]);
  });

  it('a backslash at a line end joins the lines; elsewhere it is part of a word', () => {
    const t = tokens('add rule \\\n  accept a\\b');
    expect(t.map((x) => [x.kind, x.text, x.line])).toEqual([
      ['word', 'add', 1],
      ['word', 'rule', 1],
      ['word', 'accept', 2],
      ['word', 'a\\b', 2],
    ]);
  });

  it('strings are part of the word they touch', () => {
    expect(words('foo"a b"bar, x')).toEqual(['foo"a b"bar', 'x']);
  });
});

describe('stripComments / braceDelta', () => {
  it('drops comments, keeps strings and line breaks', () => {
    expect(stripComments('a "#1" # x "\nb # y\n"c#d"')).toBe('a "#1" \nb \n"c#d"');
  });

  it('counts braces outside strings and comments', () => {
    expect(braceDelta('chain c { comment "{"; # }')).toBe(1);
    expect(braceDelta('} # {')).toBe(-1);
    expect(braceDelta('accept')).toBe(0);
  });
});

describe('statements', () => {
  const text =
    'table inet f # the filter\ndelete table inet f; table inet f {\n  chain c { type filter hook input priority 0; }\n}\nadd rule inet f c \\\n  tcp dport 22 accept\n';

  it('top level: ended by ; or a line break, blocks as one {, continuations joined, comments dropped', () => {
    expect(topLevel(text).map((s) => [s.words, s.line])).toEqual([
      [['table', 'inet', 'f'], 1],
      [['delete', 'table', 'inet', 'f'], 2],
      [['table', 'inet', 'f', '{'], 2],
      [['add', 'rule', 'inet', 'f', 'c', 'tcp', 'dport', '22', 'accept'], 5],
    ]);
  });

  it('nested statements carry their depth, in the order they start', () => {
    expect(statements(text).map((s) => [s.depth, s.words.join(' ')])).toEqual([
      [0, 'table inet f'],
      [0, 'delete table inet f'],
      [0, 'table inet f {'],
      [1, 'chain c {'],
      [2, 'type filter hook input priority 0'],
      [0, 'add rule inet f c tcp dport 22 accept'],
    ]);
  });

  it('a quoted word inside a block stays inside it', () => {
    expect(topLevel('table ip t { chain c { iif "lo" accept comment "x;y}" } }\n').map((s) => s.words)).toEqual([
      ['table', 'ip', 't', '{'],
    ]);
  });
});

describe('unquote', () => {
  it('removes the quotes around a word only', () => {
    expect([unquote('"eth0"'), unquote('eth0'), unquote('"'), unquote('a"b"')]).toEqual(['eth0', 'eth0', '"', 'a"b"']);
  });
});

describe('firstToken', () => {
  it('is the first token accepted, found as tokens() finds it, and the walk stops there', () => {
    const text = '# comment\n\n  table inet f {\n chain c {}\n}\n';
    const accept = (t: { kind: string }): boolean => t.kind === 'word';
    expect(firstToken(text, accept)).toEqual(tokens(text).find(accept));
    let seen = 0;
    firstToken(`table x\n${'a b c\n'.repeat(1000)}`, () => {
      seen += 1;
      return seen === 2;
    });
    expect(seen).toBe(2);
    expect(firstToken('# only a comment\n', accept)).toBeUndefined();
  });
});

describe('topLevel', () => {
  it('is statements() at depth 0, read in a walk that skips block contents', () => {
    for (const text of [
      'table ip t { chain c { } } add rule ip t c accept',
      '}}} table x {',
      'a { b } c\nd',
      'x {\n',
      '{ { } } y ; z',
      'table ip t {\n} ; table ip u { }\n',
      '# c { \n a "b { " { c } d\n',
      'add rule ip t c ip saddr { 10.0.0.1, 10.0.0.2 } accept\nflush ruleset\n',
    ])
      expect(topLevel(text)).toEqual(statements(text).filter((s) => s.depth === 0));
  });
});

describe('topLevel of the same text twice', () => {
  it('gives the same statements, and another text its own', () => {
    const a = 'table ip a { chain c { accept } }\nadd rule ip a c drop\n';
    const b = 'table ip b {}\n';
    const first = topLevel(a).map((s) => s.words);
    expect(topLevel(a).map((s) => s.words)).toEqual(first);
    expect(topLevel(b).map((s) => s.words)).toEqual([['table', 'ip', 'b', '{']]);
    expect(topLevel(a).map((s) => s.words)).toEqual(first);
    expect(first).toEqual(
      statements(a)
        .filter((s) => s.depth === 0)
        .map((s) => s.words),
    );
  });
});

describe('words', () => {
  it('are the word tokens, as written', () => {
    const text =
      'table ip t { # c\n set s { elements = { 10.0.0.1-10.0.0.9, ::ffff:192.0.2.1 } }\n iif "a b" accept#x\n}\n';
    expect(words(text)).toEqual(tokens(text).flatMap((t) => (t.kind === 'word' ? [t.text] : [])));
  });
});
