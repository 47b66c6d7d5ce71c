import { describe, expect, it } from 'vitest';
import { firstNftError, kernelRejection, redactIncluded } from '../../../src/plan/nft-error.js';

const scratch = '/tmp/fwsafe-plan-AbC/proposal.nft';
const stderr = (message: string, source = 'add rule inet filter input tcp dport 443 acept') =>
  `${scratch}:3:47-51: Error: ${message}\n${source}\n                                              ^^^^^\n`;

describe('kernelRejection', () => {
  it("names the user's file, line and column, keeps nft's lines and carets, never the scratch path", () => {
    const e = kernelRejection(stderr('syntax error, unexpected newline'), {
      proposalPath: '/home/a/change.nft',
      paths: { [scratch]: '/home/a/change.nft' },
    });
    expect(e.code).toBe('KERNEL_REJECTED_SYNTAX');
    expect(e.exitCode).toBe(4);
    expect(e.message.split('\n')[0]).toBe(
      'nft rejected /home/a/change.nft line 3, column 47: syntax error, unexpected newline (a syntax error). Nothing was applied:',
    );
    expect(e.message).toContain('/home/a/change.nft:3:47-51: Error: syntax error');
    expect(e.message).not.toContain('fwsafe-plan-AbC');
  });
  it.each([
    ['Could not process rule: No such file or directory', 'KERNEL_REJECTED_NOT_FOUND'],
    ['File not found: /etc/x.nft', 'KERNEL_REJECTED_INCLUDE'],
    ["unknown identifier 'SSH_PORT'", 'KERNEL_REJECTED_VARIABLE'],
    ['Could not process rule: Too many links', 'KERNEL_REJECTED_LOOP'],
    ['Could not process rule: File exists', 'KERNEL_REJECTED_EXISTS'],
    ['Could not process rule: Too many open files in system', 'KERNEL_REJECTED_SET_FULL'],
    ['Could not process rule: Operation not supported', 'KERNEL_REJECTED_UNSUPPORTED'],
    ['Could not process rule: Invalid argument', 'KERNEL_REJECTED_INVALID'],
    ['Service out of range', 'KERNEL_REJECTED_VALUE'],
    ['Could not resolve hostname: Name or service not known', 'KERNEL_REJECTED_VALUE'],
    ['something new in nft 1.1', 'KERNEL_REJECTED'],
  ])('%s → %s', (message, code) => {
    expect(kernelRejection(stderr(message), { proposalPath: 'p.nft' }).code).toBe(code);
  });
  it('drops the "included from <cmdline>" noise of nft -i', () => {
    const e = kernelRejection(`In file included from <cmdline>:1:1-30:\n${stderr('syntax error')}`, {
      proposalPath: 'p.nft',
    });
    expect(e.message).not.toContain('<cmdline>');
  });
  it('a change to a base table that could not be reproduced is a planning limit, not a kernel rejection', () => {
    const e = kernelRejection(
      stderr('Could not process rule: No such file or directory', 'add rule ip filter INPUT tcp dport 26 accept'),
      { proposalPath: 'p.nft', paths: { [scratch]: 'p.nft' }, notReproduced: ['ip filter'] },
    );
    expect(e.code).toBe('PLAN_TABLE_NOT_REPRODUCED');
    expect(e.exitCode).toBe(1);
    const other = kernelRejection(
      stderr('Could not process rule: No such file or directory', 'add rule inet filter input accept'),
      { proposalPath: 'p.nft', paths: { [scratch]: 'p.nft' }, notReproduced: ['ip filter'] },
    );
    expect(other.code).toBe('KERNEL_REJECTED_NOT_FOUND');
  });
  it('firstNftError parses the location', () => {
    expect(firstNftError(stderr('x'))).toEqual({ file: scratch, line: 3, column: 47, message: 'x' });
    expect(firstNftError('no location here')).toBeNull();
  });
});

describe('redactIncluded', () => {
  it('drops the quoted lines of files that are not the proposal, keeps their file, line and message', () => {
    const raw = `In file included from ${scratch}:1:1-22:\n/etc/shadow:1:5-5: Error: syntax error, unexpected colon, expecting string\nroot:$y$secret:20228:0:99999:7:::\n    ^\n${scratch}:2:1-3: Error: syntax error, unexpected 'foo'\nfoo bar\n^^^\n`;
    const out = redactIncluded(raw, [scratch]);
    expect(out).not.toContain('root:');
    expect(out).not.toContain('secret');
    expect(out).toContain(
      "/etc/shadow:1:5-5: Error: syntax error, unexpected colon, expecting string [the line's text is not shown: /etc/shadow is not the proposal]",
    );
    expect(out).toContain('foo bar');
    const e = kernelRejection(raw, { proposalPath: '/home/a/p.nft', paths: { [scratch]: '/home/a/p.nft' } });
    expect(e.message).not.toContain('secret');
    expect(JSON.stringify(e.toJSON())).not.toContain('secret');
  });

  it("elides quoted tokens in an included file's message", () => {
    expect(redactIncluded("/etc/x:3:1-4: Error: unknown identifier 'hunter2'\nhunter2\n", [])).not.toContain('hunter2');
  });
});
