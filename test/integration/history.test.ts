import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  // Versions name their tables' texts in versions/tables/ (issue 18): a table that did not change is stored
  // once. Tables under 64k characters stay inside the snapshot file: the foreign one is made bigger.
  const MANY = Array.from({ length: 2000 }, (_, i) => `    ip saddr 10.9.${i >> 8}.${i & 255} drop`).join('\n');
  const TWO = (port: number, big = true) => `table inet admin {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport ${port} counter accept
  }
}
table ip foreign {
  set blocked { type ipv4_addr; elements = { 192.0.2.7, 192.0.2.3, 198.51.100.1 } }
  chain input { type filter hook input priority -10; policy accept;
    ip saddr @blocked drop
${big ? MANY : ''}
  }
}
`;
  const storedTexts = () =>
    readdirSync(join(state.path, 'versions', 'tables'))
      .filter((n) => n.endsWith('.nft'))
      .map((n) => readFileSync(join(state.path, 'versions', 'tables', n), 'utf8'));

  it('versions sharing table texts: log, show, diff and rollback N see each version whole', () => {
    loadRuleset(ns.name, TWO(22));
    expect(cli('snapshot', '-m', 'start').status).toBe(0);
    const file = join(state.path, 'change.nft');
    writeFileSync(file, `table inet admin\ndelete table inet admin\n${TWO(2222).split('table ip foreign')[0]}`);
    const applied = cli('apply', file, '--no-wait', '--yes', '--no-probes', '--json');
    expect(applied.status, applied.stderr).toBe(0);
    expect(cli('confirm', '--from-this-session').status).toBe(0);
    // v1 start, v2 the base, v3 the applied version: the foreign table's text is stored once
    expect(cli('log', '--json').json.versions.map((v: { id: number }) => v.id)).toEqual([3, 2, 1]);
    expect(storedTexts().filter((t) => t.includes('table ip foreign'))).toHaveLength(1);
    expect(storedTexts().filter((t) => t.includes('table inet admin'))).toHaveLength(0);
    const show = (v: string) => cli('show', v, '--json').json.text as string;
    expect(show('1')).toContain('tcp dport 22 counter accept');
    expect(show('3')).toContain('tcp dport 2222 counter accept');
    for (const v of ['1', '3']) expect(show(v)).toContain('ip saddr @blocked drop');
    const diff = cli('diff', '1', '3', '--json').json;
    expect(diff.removed).toBe(1);
    expect(diff.added).toBe(1);
    expect(diff.unified).toContain('+\t\ttcp dport 2222 counter accept');
    expect(cli('diff', '3', '--json').json.identical).toBe(true);

    const back = cli('rollback', '1', '--no-wait', '--no-probes', '--json');
    expect(back.status, back.stderr).toBe(0);
    expect(cli('confirm', '--from-this-session').status).toBe(0);
    expect(nft(ns.name, ['list', 'table', 'inet', 'admin'])).toContain('tcp dport 22 counter');
    expect(cli('diff', '1', '--json').json.identical).toBe(true);
    expect(show('latest')).toBe(show('1'));
  });

  it('history written by the earlier release (whole texts in each snapshot) still loads beside new versions', () => {
    cpSync(new URL('../fixtures/history-v1/versions', import.meta.url).pathname, join(state.path, 'versions'), {
      recursive: true,
    });
    chmodSync(join(state.path, 'versions'), 0o700);
    const log = cli('log', '--json');
    expect(log.status, log.stderr).toBe(0);
    expect(log.json.versions.map((v: { message: string }) => v.message)).toEqual([
      'second, old format',
      'written by fwsafe before issue 18a',
    ]);
    expect(cli('show', '2', '--json').json.text).toContain('tcp dport 443 accept');
    expect(cli('diff', '1', '2').stdout).toContain('+\t\ttcp dport 443 accept');
    // the same rules live here (the fixture's): a new version has the old one's hash
    loadRuleset(ns.name, TWO(22, false));
    nft(ns.name, ['add', 'rule', 'inet', 'admin', 'input', 'tcp', 'dport', '443', 'accept']);
    const snap = cli('snapshot', '--json');
    expect(snap.status, snap.stderr).toBe(0);
    expect(snap.json.sameAsVersion).toBe(2);
    expect(JSON.parse(readFileSync(join(state.path, 'versions', '000003.snapshot.json'), 'utf8')).schema).toBe(2);
    expect(cli('diff', '2', '3', '--json').json.identical).toBe(true);
    // rollback N to a version of the old format (taken in another namespace: --from-elsewhere)
    const back = cli('rollback', '1', '--no-wait', '--no-probes', '--from-elsewhere', '--json');
    expect(back.status, back.stderr).toBe(0);
    expect(cli('confirm', '--from-this-session').status).toBe(0);
    expect(nft(ns.name, ['list', 'table', 'inet', 'admin'])).not.toContain('443');
  });
});
