import { randomBytes, randomInt } from 'node:crypto';

// No 0/o, 1/l/i: a code read off a screen under stress must not be ambiguous.
const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newChangeId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `c-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A short one-time confirmation code. */
export function newCode(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}
