import { describe, expect, it } from 'vitest';
import { variantOf } from '../../../src/detect/iptables-variant.js';

describe('variantOf', () => {
  it.each([
    ['/usr/sbin/xtables-nft-multi', 'nft'],
    ['/usr/sbin/xtables-legacy-multi', 'legacy'],
    ['/usr/sbin/iptables-nft', 'nft'],
    ['/usr/sbin/iptables-legacy', 'legacy'],
    ['/usr/sbin/iptables', 'unknown'],
  ])('%s is %s', (path, variant) => {
    expect(variantOf(path)).toBe(variant);
  });
});
