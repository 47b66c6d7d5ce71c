import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { killWatchdog, waitFor } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

// Issue 22: a table holding a chain binding goes through apply and an automatic (inverse) rollback:
// the binding, removed by the change, comes back as it was.
const BASE = `table inet cb {
\tchain input {
\t\ttype filter hook input priority 0; policy accept;
\t\tmeta l4proto { tcp, udp } th dport 53 jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept; counter drop; }
\t\ttcp dport 22 accept
\t}
}
`;
const shape = (ns: string): string =>
  nft(ns, ['list', 'table', 'inet', 'cb']).replace(/counter packets \d+ bytes \d+/g, 'counter');
const handleOf = (ns: string, match: string): number => {
  const lines = nft(ns, ['-a', 'list', 'table', 'inet', 'cb']).split('\n');
  const start = lines.findIndex((l) => l.includes(match));
  const closing = lines.slice(start).find((l) => /# handle \d+$/.test(l)) ?? '';
  return Number(/# handle (\d+)$/.exec(closing)?.[1] ?? -1);
};

describe.skipIf(!isRoot)('apply and roll back a table holding a chain binding', () => {
  const ns = useNetns('cbrb');
  const state = useStateDir();
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-cbrb-'));
    loadRuleset(ns.name, BASE);
  });
  afterEach(() => {
    killWatchdog(state.path);
    removeStateDir(dir);
  });

  it('the change deletes the binding rule; the rollback at the deadline puts it back, rule for rule', async () => {
    const before = shape(ns.name);
    const file = join(dir, 'change.nft');
    writeFileSync(
      file,
      `delete rule inet cb input handle ${handleOf(ns.name, 'jump {')}\nadd rule inet cb input tcp dport 8080 accept\n`,
    );
    const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);
    const r = cli('apply', file, '--no-wait', '--yes', '--no-probes', '--timeout', '3', '--json');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(shape(ns.name)).not.toContain('jump {');
    const versionId = r.json.versionId as number;
    const change = () => cli('log', '--json').json.versions.find((v: { id: number }) => v.id === versionId)?.change;
    expect(await waitFor(() => change()?.state !== 'pending', 30_000)).toBe(true);
    expect(change(), JSON.stringify(change())).toMatchObject({ state: 'rolled-back', rollbackReason: 'timeout' });
    expect(change().conflict ?? null, 'nft crashed on the inverse').toBeNull();
    expect(shape(ns.name)).toBe(before);
  });
});
