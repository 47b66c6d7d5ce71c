import { describe, expect, it } from 'vitest';
import { assertTakenHere, currentWhere, sameWhere, whereLabel } from '../../../src/host/identity.js';
import type { FwsafeError } from '../../../src/errors.js';

describe('where a version was taken', () => {
  const here = currentWhere(null);
  const otherNs = { ...here, netnsInode: '1', netns: 'b' };
  const otherHost = { ...here, machineId: 'f'.repeat(32) };

  it('identifies this host and namespace: machine id and the netns inode', () => {
    expect(here.netnsInode).toMatch(/^\d+$/);
    expect(here.netns).toBeNull();
    expect(sameWhere(currentWhere(null), here)).toBe(true);
  });

  it('another namespace or host is refused with exit 15 naming both; --from-elsewhere and old records pass', () => {
    for (const w of [otherNs, otherHost]) {
      expect(sameWhere(w, here)).toBe(false);
      try {
        assertTakenHere('Version 3', w, here, false);
        expect.fail('should refuse');
      } catch (error) {
        expect((error as FwsafeError).exitCode).toBe(15);
        expect((error as FwsafeError).code).toBe('FROM_ELSEWHERE');
        expect((error as FwsafeError).actions.join(' ')).toContain('--from-elsewhere');
      }
      expect(() => assertTakenHere('Version 3', w, here, true)).not.toThrow();
    }
    expect(() => assertTakenHere('Version 3', undefined, here, false)).not.toThrow();
  });

  it('log labels: here, another namespace, another host, unknown', () => {
    expect(whereLabel(here, here)).toBe('here');
    expect(whereLabel(otherNs, here)).toBe('ns b#1');
    expect(whereLabel(otherHost, here)).toBe('host ffffffff');
    expect(whereLabel(undefined, here)).toBe('?');
  });
});
