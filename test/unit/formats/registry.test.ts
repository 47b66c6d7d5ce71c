import { describe, expect, it } from 'vitest';
import { recogniseProposal } from '../../../src/formats/registry.js';
import { runtimeOf } from '../../../src/formats/runtime.js';
import { TransactionStep } from '../../../src/formats/types.js';

describe('format registry', () => {
  it('recognises nft scripts from their first statement, and falls back to nft saying so', () => {
    expect(recogniseProposal('# comment\n\ntable inet filter {\n}\n').recognition).toEqual({
      format: 'nft',
      seen: 'nft script (starts with "table")',
    });
    expect(recogniseProposal('add rule inet filter input accept\n').format.id).toBe('nft');
    const unknown = recogniseProposal('hello world\n');
    expect(unknown.format.id).toBe('nft');
    expect(unknown.recognition.seen).toMatch(/no format recognised/);
  });

  it("the nft runtime adds no steps to an nft change (apply-change and execute-rollback run nft themselves), only a restore's iptables ones", () => {
    const nft = runtimeOf(undefined);
    const plan = {
      proposal: { text: 'add table ip t\n' },
      rollback: { nftScript: 'table ip t\ndelete table ip t\n', iptablesNft: { v4: '*filter\nCOMMIT\n', v6: null } },
    };
    expect(nft.applySteps(plan as never)).toEqual([]);
    expect(nft.rollbackSteps(plan as never)).toEqual([]);
    const step = {
      program: 'iptables-legacy-restore' as const,
      args: ['-w', '5', '-c', '--noflush'],
      input: '*filter\nCOMMIT\n',
      what: 'iptables-legacy v4 chains',
    };
    const restore = {
      ...plan,
      proposal: { text: '' },
      transaction: { apply: [step], rollback: [{ ...step, what: 'back' }] },
    };
    expect(nft.applySteps(restore as never)).toEqual([step]);
    expect(nft.rollbackSteps(restore as never).map((s) => s.what)).toEqual(['back']);
  });

  it('a stored step names a program from a fixed list, never a path', () => {
    expect(() => TransactionStep.parse({ program: '/tmp/evil', args: [], input: '', what: 'x' })).toThrow();
    expect(
      TransactionStep.parse({
        program: 'iptables-legacy-restore',
        args: ['-w', '5', '--noflush'],
        input: '',
        what: 'x',
      }).program,
    ).toBe('iptables-legacy-restore');
  });
});
