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

/** Returns true to stop the walk there (the rest of the text is not read). */
type Emit = (kind: TokenKind, start: number, end: number, line: number, col: number) => unknown;

// The syntax, written once: a string ends at its closing quote or its line's end (unterminated), a
// comment at its line's end.
const STRING = '"[^"\\n]*"?';
const COMMENT = '#[^\\n]*';
// One alternative per token kind, tried in this order at each position; together they match any character.
const TOKEN = new RegExp(`[^\\S\\n]+|\\\\\\n|${COMMENT}|[{};,\\n]|(?:[^\\s{};,#"\\\\]|${STRING}|\\\\(?!\\n))+`, 'y');
// Strings and comments alone: enough to find the comments (a string hides a `#`, a comment hides a `"`).
const STRING_OR_COMMENT = new RegExp(`${STRING}|${COMMENT}`, 'g');
const PUNCT: Record<string, TokenKind> = { '{': 'open', '}': 'close', ';': 'end', ',': 'comma', '\n': 'end' };

/** Walks the text once, calling `emit` for every token (no allocation unless the caller makes one). */
function lex(text: string, emit: Emit): void {
  let line = 1;
  let lineStart = 0;
  const re = new RegExp(TOKEN);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index;
    const end = re.lastIndex;
    const ch = text[start]!;
    if (ch === '\\' && end - start === 2 && text[start + 1] === '\n') {
      line += 1;
      lineStart = end;
    } else if (ch === '#') {
      if (emit('comment', start, end, line, start - lineStart + 1) === true) return;
    } else if (ch in PUNCT) {
      if (emit(PUNCT[ch]!, start, end, line, start - lineStart + 1) === true) return;
      if (ch === '\n') {
        line += 1;
        lineStart = end;
      }
    } else if (!/\s/.test(ch) && emit('word', start, end, line, start - lineStart + 1) === true) return;
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

/** The words of an nft text alone, as written (no token objects: a 50k-rule text has a million tokens). */
export function words(text: string): string[] {
  const out: string[] = [];
  lex(text, (kind, start, end) => {
    if (kind === 'word') out.push(text.slice(start, end));
  });
  return out;
}

/** The first token `accept` takes, without reading the text past it (a proposal's first statement: not the whole file). */
export function firstToken(text: string, accept: (token: Token) => boolean): Token | undefined {
  let found: Token | undefined;
  lex(text, (kind, start, end, line, col) => {
    const token = { kind, text: text.slice(start, end), start, end, line, col };
    if (!accept(token)) return false;
    found = token;
    return true;
  });
  return found;
}

/** The text without its comments (line breaks kept, so line numbers still hold). */
export function stripComments(text: string): string {
  if (!text.includes('#')) return text;
  return text.replace(STRING_OR_COMMENT, (m) => (m.startsWith('#') ? '' : m));
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
  // Most lines of a listing have no brace at all.
  if (!text.includes('{') && !text.includes('}')) return 0;
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
export function topLevel(text: string): readonly Statement[] {
  // A proposal is read by several steps (validation, scope, findings), each walk ~0.1 s at 50k rules:
  // the last text's top level is kept (a few statements; the block contents are not). Callers only read it.
  if (lastTopLevel?.text !== text) lastTopLevel = { text, out: topLevelStatements(text) };
  return lastTopLevel.out;
}

/**
 * statements(text) at depth 0 alone, in one walk that keeps no word of a block's contents (a 50k-rule
 * proposal is nearly all block contents: ~0.7M words statements() would slice and drop).
 */
function topLevelStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let depth = 0;
  let open: Statement | undefined;
  const finish = (): void => {
    if (open && open.words.length > 0) out.push(open);
    open = undefined;
  };
  const add = (word: string, line: number, col: number): void => {
    open ??= { words: [], depth: 0, line, col };
    open.words.push(word);
  };
  lex(text, (kind, start, end, line, col) => {
    if (depth > 0) {
      if (kind === 'open') depth += 1;
      else if (kind === 'close') depth -= 1;
      return;
    }
    if (kind === 'word') add(text.slice(start, end), line, col);
    else if (kind === 'comma') add(',', line, col);
    else if (kind === 'end' || kind === 'close') finish();
    else if (kind === 'open') {
      add('{', line, col);
      depth = 1;
    }
  });
  finish();
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

let lastTopLevel: { text: string; out: readonly Statement[] } | undefined;

/** A word without the quotes around it (`"eth0"` → `eth0`). */
export function unquote(word: string): string {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}
