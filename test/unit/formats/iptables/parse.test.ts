import { describe, expect, it } from 'vitest';
import { parseRestore } from '../../../../src/formats/iptables/parse.js';
import { familyOf } from '../../../../src/formats/iptables/family.js';
import { applyInput, declaredScope, rollbackInput } from '../../../../src/formats/iptables/transaction.js';
import { parseSave } from '../../../../src/backends/iptables-save.js';
import { recogniseProposal } from '../../../../src/formats/registry.js';
import { decidingTable } from '../../../../src/probes/findings.js';

const FILE =
  '# x\n*filter\n:INPUT DROP [0:0]\n:MINE - [0:0]\n[1:2] -A INPUT -j MINE\n-A MINE -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

describe('iptables-restore proposals', () => {
  it('are recognised from content, shell commands too; nft stays nft', () => {
    expect(recogniseProposal(FILE).format.id).toBe('iptables');
    expect(recogniseProposal('iptables -A INPUT -j ACCEPT\n').recognition.seen).toMatch(/shell commands/);
    expect(recogniseProposal('table inet f {\n}\n').format.id).toBe('nft');
  });

  it('parse into tables, declarations and commands with their lines', () => {
    const [t] = parseRestore(FILE);
    expect(t!.chains.map((c) => `${c.name} ${c.policy} ${c.line}`)).toEqual(['INPUT DROP 3', 'MINE null 4']);
    expect(t!.commands[0]).toMatchObject({
      op: 'A',
      chain: 'INPUT',
      text: '-A INPUT -j MINE',
      counters: '[1:2]',
      target: 'MINE',
      line: 5,
    });
    expect(declaredScope([t!])).toEqual({ filter: ['INPUT', 'MINE'] });
  });

  it('become a --noflush input that empties declared built-in chains explicitly', () => {
    expect(applyInput(parseRestore(FILE), false)).toBe(
      '*filter\n:INPUT DROP [0:0]\n:MINE - [0:0]\n-F INPUT\n-A INPUT -j MINE\n-A MINE -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    );
  });

  it('roll back exactly the touched chains, with counters; created chains deleted', () => {
    const before = parseSave('*filter\n:INPUT ACCEPT [5:6]\n[7:8] -A INPUT -j ACCEPT\nCOMMIT\n');
    const after = parseSave('*filter\n:INPUT DROP [0:0]\n:MINE - [0:0]\n-A INPUT -j MINE\nCOMMIT\n');
    expect(rollbackInput(before, after, { filter: ['INPUT', 'MINE'] })).toBe(
      '*filter\n:INPUT ACCEPT [5:6]\n:MINE - [0:0]\n-F INPUT\n[7:8] -A INPUT -j ACCEPT\n-X MINE\nCOMMIT\n',
    );
  });

  it('have a family from the flag, the name or the content; a line of the other family is refused', () => {
    expect(familyOf(FILE, '/etc/iptables/rules.v6').family).toBe('v6');
    expect(familyOf('*filter\n-A INPUT -s 2001:db8::1 -j DROP\nCOMMIT\n', 'x').family).toBe('v6');
    expect(familyOf(FILE, 'x').family).toBe('v4');
    expect(() => familyOf('*filter\n-A INPUT -s 10.0.0.1 -j DROP\nCOMMIT\n', 'rules.v6')).toThrow(
      /rules\.v6:2: an IPv4 address/,
    );
  });
});

describe('deciding rules', () => {
  it('name their backend', () => {
    expect(decidingTable('ip filter INPUT: policy drop')).toMatchObject({ key: 'ip filter', backend: 'iptables-nft' });
    expect(decidingTable('inet filter input: tcp dport 22 drop')).toMatchObject({ key: 'inet filter', backend: 'nft' });
    expect(decidingTable('iptables-legacy v6 filter INPUT: policy DROP (its packet counter moved)')).toMatchObject({
      key: 'iptables-legacy v6 filter',
      backend: 'iptables-legacy',
    });
  });
});

describe('iptables runtime', async () => {
  const { differingChains } = await import('../../../../src/formats/iptables/runtime.js');
  const { defaultIptablesPersistPath } = await import('../../../../src/formats/iptables/persist.js');
  const { ownRule } = await import('../../../../src/formats/iptables/owners.js');
  it('says precisely what someone else changed in a touched chain', () => {
    const expected = { filter: { INPUT: { policy: 'DROP', rules: ['-A INPUT -j ACCEPT'] }, NEW: null } };
    const now = {
      filter: {
        INPUT: { policy: 'ACCEPT', rules: ['-A INPUT -s 192.0.2.1/32 -j DROP', '-A INPUT -j ACCEPT'] },
        NEW: null,
      },
    };
    expect(differingChains(expected, now)).toEqual(['filter/INPUT']);
    expect(differingChains(expected, now, true)).toEqual([
      'filter/INPUT (policy DROP → ACCEPT; + -A INPUT -s 192.0.2.1/32 -j DROP)',
    ]);
  });
  it('persists to the file the host boots from', () => {
    expect(defaultIptablesPersistPath('v6', () => true)).toBe('/etc/iptables/rules.v6');
    expect(defaultIptablesPersistPath('v4', (p) => p === '/etc/sysconfig')).toBe('/etc/sysconfig/iptables');
    expect(ownRule('-A FORWARD -j DOCKER-USER')).toBe(true);
    expect(ownRule('-A FORWARD -o docker0 -j DOCKER')).toBe(false);
  });
});
