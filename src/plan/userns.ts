import { readFileSync } from 'node:fs';

/**
 * True inside a user namespace other than the initial one (uid 0 there is an unprivileged user
 * outside): /proc/self/uid_map then maps a narrower range than the whole 32-bit space.
 */
export function inChildUserNamespace(): boolean {
  try {
    const first = readFileSync('/proc/self/uid_map', 'utf8').trim().split('\n')[0]!.trim().split(/\s+/);
    return !(first[0] === '0' && first[1] === '0' && first[2] === '4294967295');
  } catch {
    return false;
  }
}
