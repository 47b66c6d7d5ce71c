import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { expectContract } from '../helpers/contract.js';
import { isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';

const RULES = `table inet filter {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
`;

describe.skipIf(!isRoot)('fwsafe log / show / diff', () => {
  const ns = useNetns('hist');
  const state = useStateDir();
  const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);

  it('round-trips: snapshot, change, snapshot; log, show and diff tell what changed', async () => {
    loadRuleset(ns.name, RULES);
    expect(cli('snapshot', '-m', 'before').status).toBe(0);
    nft(ns.name, ['add', 'rule', 'inet', 'filter', 'input', 'tcp', 'dport', '443', 'accept']);

    // diff against live sees the new rule before it is snapshotted
    const live = cli('diff', '1', '--json');
    expect(live.status).toBe(0);
    await expectContract('diff', live.json);
    expect(live.json.identical).toBe(false);
    expect(live.json.unified).toContain('+\t\ttcp dport 443 accept');
    expect(live.json.added).toBe(1);

    expect(cli('snapshot', '-m', 'after').status).toBe(0);
    const log = cli('log', '--json');
    await expectContract('log', log.json);
    expect(log.json.versions.map((v: { message: string }) => v.message)).toEqual(['after', 'before']);

    const show = cli('show', '1', '--json');
    await expectContract('show', show.json);
    expect(show.json.text).toContain('tcp dport 22 counter accept');
    expect(show.json.text).not.toContain('443');
    expect(show.json.text).not.toMatch(/# handle/);

    const between = cli('diff', '1', '2');
    expect(between.stdout).toContain('+\t\ttcp dport 443 accept');
    expect(cli('diff', 'latest', '--json').json.identical).toBe(true);

    const human = cli('log');
    expect(human.stdout).toMatch(/\n\s+2 .*snapshot.*after/);
  });

  it('bad version references and corrupt state give clear errors with their exit codes', async () => {
    loadRuleset(ns.name, RULES);
    cli('snapshot');
    const missing = cli('show', '42', '--json');
    expect(missing.status).toBe(11);
    await expectContract('error', missing.json);
    expect(missing.json.error.code).toBe('VERSION_NOT_FOUND');
    expect(cli('show', 'banana', '--json').status).toBe(9);

    writeFileSync(join(state.path, 'versions', '000001.json'), '{ truncated');
    const corrupt = cli('show', '1', '--json');
    expect(corrupt.status).toBe(10);
    expect(corrupt.json.error.message).toContain('000001.json');
    const log = cli('log', '--json');
    expect(log.status).toBe(0);
    expect(log.json.unreadable[0].file).toContain('000001.json');
  });
});
