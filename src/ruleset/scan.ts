// The one reader of nft script text: proposals, and the lines of `nft list` output. It reads as nft 1.0.6
// does (measured): `#` outside a string starts a comment that runs to the end of the line, wherever it
// stands (`accept#x` is `accept`); a string runs from `"` to the next `"` on the same line, and a
// backslash does not escape it (nft refuses `comment "a\"b"`: its string ends at the second quote);
// `\` at the end of a line joins the next one; `{ } ; ,` and newlines separate words, `:` does not
// (`::ffff:192.0.2.1`, `iif "eth0" : accept` keep their colons).

export type TokenKind = 'word' | 'open' | 'close' | 'end' | 'comma' | 'comment';

export interface Token {
  kind: TokenKind;
  /** The token as written: a word keeps its quotes, an end is `;` or `\n`, a comment starts at its `#`. */
  text: string;
  /** Offsets into the text: [start, end). */
  start: number;
  end: number;
  /** 1-based line and column of the token's first character. */
  line: number;
  col: number;
}

type Emit = (kind: TokenKind, start: number, end: number, line: number, col: number) => void;

const SPACE = new Set([' ', '\t', '\r', '\f', '\v']);
const PUNCT: Record<string, TokenKind> = { '{': 'open', '}': 'close', ';': 'end', ',': 'comma', '\n': 'end' };

/** Where a string that opens at `from` (its `"`) ends: after its closing quote, or at the end of its line. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i += 1) {
    if (text[i] === '"') return i + 1;
    if (text[i] === '\n') return i;
  }
  return text.length;
}

/** Walks the text once, calling `emit` for every token (no allocation unless the caller makes one). */
function lex(text: string, emit: Emit): void {
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (SPACE.has(ch)) {
      i += 1;
    } else if (ch === '\\' && text[i + 1] === '\n') {
      i += 2;
      line += 1;
      lineStart = i;
    } else if (ch === '#') {
      const nl = text.indexOf('\n', i);
      const end = nl === -1 ? text.length : nl;
      emit('comment', i, end, line, i - lineStart + 1);
      i = end;
    } else if (ch in PUNCT) {
      emit(PUNCT[ch]!, i, i + 1, line, i - lineStart + 1);
      i += 1;
      if (ch === '\n') {
        line += 1;
        lineStart = i;
      }
    } else {
      const start = i;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') i = stringEnd(text, i);
        else if (SPACE.has(c) || c in PUNCT || c === '#' || (c === '\\' && text[i + 1] === '\n')) break;
        else i += 1;
      }
      emit('word', start, i, line, start - lineStart + 1);
    }
  }
}

/** Every token of an nft text, comments included. */
export function tokens(text: string): Token[] {
  const out: Token[] = [];
  lex(text, (kind, start, end, line, col) => {
    out.push({ kind, text: text.slice(start, end), start, end, line, col });
  });
  return out;
}

/** The text without its comments (line breaks kept, so line numbers still hold). */
export function stripComments(text: string): string {
  if (!text.includes('#')) return text;
  const parts: string[] = [];
  let from = 0;
  lex(text, (kind, start, end) => {
    if (kind !== 'comment') return;
    parts.push(text.slice(from, start));
    from = end;
  });
  parts.push(text.slice(from));
  return parts.join('');
}

/** One line split where its comment starts: `code` + `comment` is the line. */
export function splitComment(line: string): { code: string; comment: string } {
  let at = line.length;
  lex(line, (kind, start) => {
    if (kind === 'comment' && at === line.length) at = start;
  });
  return { code: line.slice(0, at), comment: line.slice(at) };
}

/** Net count of braces that open (positive) or close, outside strings and comments. */
export function braceDelta(text: string): number {
  let n = 0;
  lex(text, (kind) => {
    if (kind === 'open') n += 1;
    else if (kind === 'close') n -= 1;
  });
  return n;
}

export interface Statement {
  /** Words as written (strings keep their quotes); a block at this depth is one `{` word, its contents are statements of their own. */
  words: string[];
  /** Block depth: 0 at the top level of the script. */
  depth: number;
  line: number;
  col: number;
}

/**
 * The statements of an nft script in the order they start: ended by `;` or a line break (a `\`
 * continuation joins lines), each block's contents statements one level deeper. Comments are dropped.
 */
export function statements(text: string): Statement[] {
  const out: Statement[] = [];
  // The statement being read at each depth (the one that opened a block waits for the words after it).
  const open: (Statement | undefined)[] = [];
  let depth = 0;
  const current = (line: number, col: number): Statement => {
    const s = open[depth] ?? { words: [], depth, line, col };
    open[depth] = s;
    return s;
  };
  const finish = (): void => {
    const s = open[depth];
    if (s && s.words.length > 0) out.push(s);
    open[depth] = undefined;
  };
  lex(text, (kind, start, end, line, col) => {
    if (kind === 'word') current(line, col).words.push(text.slice(start, end));
    else if (kind === 'comma') current(line, col).words.push(',');
    else if (kind === 'end') finish();
    else if (kind === 'open') {
      current(line, col).words.push('{');
      depth += 1;
    } else if (kind === 'close') {
      finish();
      depth = Math.max(0, depth - 1);
    }
  });
  for (; depth >= 0; depth -= 1) finish();
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The top-level statements of an nft script, in order. */
export function topLevel(text: string): Statement[] {
  return statements(text).filter((s) => s.depth === 0);
}

/** A word without the quotes around it (`"eth0"` → `eth0`). */
export function unquote(word: string): string {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}
