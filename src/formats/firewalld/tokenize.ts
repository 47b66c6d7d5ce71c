/**
 * Splits one line of a firewalld proposal into words the way a POSIX shell quotes them — single quotes,
 * double quotes, backslash escapes — and nothing else: no expansion, no globbing, no command separators.
 * Anything a shell would interpret (`$`, backticks, `;`, `|`, `&`, `<`, `>`, a `#` inside a word is
 * literal) is refused unquoted, so a line never means more than it shows.
 */
export type TokenResult = { ok: true; words: string[] } | { ok: false; why: string };

const SHELL_SPECIAL = new Set(['$', '`', ';', '|', '&', '<', '>', '(', ')', '*', '?', '[', '{', '}', '~']);

export function tokenizeLine(line: string): TokenResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (ch === '#' && !inWord) break;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, why: 'an unterminated single quote' };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j += 1) {
        const c = line[j]!;
        if (c === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
          word += line[j + 1]!;
          j += 1;
        } else if (c === '$' || c === '`') {
          return { ok: false, why: `a shell expansion (${c}) inside double quotes, which fwsafe does not perform` };
        } else word += c;
      }
      if (j >= line.length) return { ok: false, why: 'an unterminated double quote' };
      inWord = true;
      i = j;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= line.length)
        return {
          ok: false,
          why: 'a trailing backslash (continuation lines are not supported: one operation per line)',
        };
      word += line[i + 1]!;
      inWord = true;
      i += 1;
      continue;
    }
    if (SHELL_SPECIAL.has(ch))
      return { ok: false, why: `the shell character ${ch} unquoted (fwsafe runs no shell: quote it, or remove it)` };
    word += ch;
    inWord = true;
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
