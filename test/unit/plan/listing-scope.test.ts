import { describe, expect, it } from 'vitest';
import { listingScope, notListedFinding } from '../../../src/plan/listing-scope.js';

const inventory = [
  { family: 'ip', name: 'kube-proxy', key: 'ip kube-proxy', hooks: ['prerouting', 'input'] },
  { family: 'inet', name: 'admin', key: 'inet admin', hooks: ['input'] },
  { family: 'inet', name: 'sets-only', key: 'inet sets-only', hooks: [] },
];
const scope = { kind: 'tables' as const, needed: [], replaced: ['inet admin'], mustExist: [] };

describe('which live tables a plan lists', () => {
  it('without probes: only the tables the change names, and the hooked ones it left out', () => {
    const l = listingScope(scope, inventory, false);
    expect(l).toEqual({
      hashed: ['inet admin'],
      listed: ['inet admin'],
      notListed: [{ table: 'ip kube-proxy', hooks: ['prerouting', 'input'] }],
      complete: false,
    });
    // A host whose only table is the one the change names: the listing is the whole ruleset.
    expect(listingScope(scope, [inventory[1]!], false).complete).toBe(true);
    const f = notListedFinding(l, 'table inet admin {\n}\n');
    expect(f?.code).toBe('TABLES_NOT_ANALYSED');
    expect(f?.severity).toBe('info');
    expect(f?.message).toContain('ip kube-proxy (prerouting, input)');
    // The changed rules match marks another table may set: a warning.
    expect(notListedFinding(l, 'meta mark 0x1 accept')?.severity).toBe('warning');
  });

  it('with probes: every hooked table too (a table without a base chain never sees a packet)', () => {
    const l = listingScope(scope, inventory, true);
    expect(l.listed.sort()).toEqual(['inet admin', 'ip kube-proxy']);
    expect(l.hashed).toEqual(['inet admin']);
    expect(l.notListed).toEqual([]);
    expect(notListedFinding(l, '')).toBeNull();
  });
});
