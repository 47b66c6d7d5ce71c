import { UserError } from '../errors.js';
import { tokens } from '../ruleset/scan.js';

// nft 1.0.6 accepts these with exit 0 and loads something else (measured in a scratch namespace, see
// docs/plan.md "Values nft would silently change"): a number with a leading 0 is read as octal
// (`tcp dport 022` is 18, `ip saddr 010.0.0.1` is 8.0.0.1, `/024` is /20), and a few fields keep only
// their low bits (`burst` and `ct count` 32, `log group` 16).
const OCTAL = /^0\d+$/;
const V4 = /^\d+(\.\d+){3}(:\d+)?$/;
const WRAPS: Record<string, { bits: number; what: string }> = {
  burst: { bits: 32, what: 'a limit burst' },
  count: { bits: 32, what: 'a ct count' },
  group: { bits: 16, what: 'a log group' },
};

/** A digit after a 0 that starts a number, or a keyword whose value may wrap: only then are the words read. */
const MAY_MATTER = /(?:^|[^0-9A-Za-z_])0[0-9]|\b(?:burst|count|group)\b/m;

function octalProblem(word: string): string | null {
  for (const piece of word.split('-')) {
    const [addr = '', prefix] = piece.split('/');
    if (prefix !== undefined && OCTAL.test(prefix))
      return `the prefix /${prefix} starts with 0, so nft reads it as octal (/${Number.parseInt(prefix, 8) || prefix})`;
    const numbers = V4.test(addr) ? addr.split(/[.:]/) : addr.includes(':') ? [] : [addr];
    const lead = numbers.find((n) => OCTAL.test(n));
    if (lead)
      return `${lead} starts with 0, so nft reads it as octal (${/^0[0-7]+$/.test(lead) ? Number.parseInt(lead, 8) : `${lead} is not octal: read as decimal`})`;
  }
  return null;
}

/**
 * Refuses an nft proposal holding a value nft would load as another without a word (exit 9, the file,
 * line and token named): a leading-0 number (octal), a limit burst or ct count over 2^32-1, a log group
 * over 65535. Strings and comments are not looked at.
 */
export function refuseSilentNftValues(text: string, path: string): void {
  // Most proposals hold neither a leading-0 number nor one of the wrapping keywords: one regex pass over the
  // text settles that (a 3.6 MB proposal: ~5 ms, against ~240 ms for the token walk below).
  if (!MAY_MATTER.test(text)) return;
  const words = tokens(text).filter((t) => t.kind === 'word');
  words.forEach((t, i) => {
    if (t.text.includes('"') || /^[$@]/.test(t.text)) return;
    let why = octalProblem(t.text);
    const prev = words[i - 1]?.text;
    const before = prev === 'over' ? words[i - 2]?.text : prev;
    const wrap = before === undefined ? undefined : WRAPS[before];
    if (
      !why &&
      wrap &&
      /^\d+$/.test(t.text) &&
      (before !== 'count' || words[i - (prev === 'over' ? 3 : 2)]?.text === 'ct')
    ) {
      const n = BigInt(t.text);
      const max = (1n << BigInt(wrap.bits)) - 1n;
      if (n > max) why = `${wrap.what} is at most ${max}; nft would load ${n & max} (the low ${wrap.bits} bits)`;
    }
    if (why)
      throw new UserError(`${path}:${t.line}:${t.col}: "${t.text}": ${why}; nft accepts it without a word.`, {
        code: 'NFT_BAD_VALUE',
        actions: ['Write the value as you mean it: decimal without a leading 0 (or 0x… for hexadecimal), in range.'],
      });
  });
}
