import { describe, expect, it } from 'vitest';
import { ownerFlag, withoutOwnerFlags } from '../../../src/backends/owner-flag.js';

const OWNED =
  'table inet firewalld { # handle 4 progname firewalld\n\tflags owner\n\n\tset s { # handle 2\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n}\n';

describe('nft owner flag', () => {
  it('is read from the text (with the owning process) or from the JSON flag', () => {
    expect(ownerFlag({ text: OWNED })).toEqual({ owned: true, progname: 'firewalld' });
    expect(ownerFlag({ text: '', ownerFlag: true })).toEqual({ owned: true, progname: null });
    expect(ownerFlag({ text: 'table inet t { # handle 1\n\tflags dormant\n}\n' })).toEqual({
      owned: false,
      progname: null,
    });
  });
  it('is dropped for scratch namespaces, set flags kept', () => {
    expect(withoutOwnerFlags(OWNED)).toBe(
      'table inet firewalld { # handle 4 progname firewalld\n\n\tset s { # handle 2\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n}\n',
    );
    expect(withoutOwnerFlags('table ip t {\n\tflags dormant,owner\n}\n')).toBe('table ip t {\n\tflags dormant\n}\n');
  });
});
