// Text from rules, plans, files and other programs reaches a terminal with its control characters shown,
// never acted on: an escape sequence in a rule comment could erase or rewrite lines of a diff. Newline
// and tab stay; C0/C1 controls, DEL and bidirectional overrides are shown as \xHH / \uHHHH. JSON output
// is never passed through here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const show = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` safe for a terminal; idempotent (what it writes holds no control characters). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, show);
}

/** A copy of `value` with every string in it escaped (for renderers that add colour after the data). */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeStrings(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStrings(v)])) as T;
  }
  return value;
}
