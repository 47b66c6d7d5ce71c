import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { listNftRuleset } from '../../src/backends/nft.js';
import { HistoryStore } from '../../src/history/store.js';

// A Kubernetes-like node in small: a foreign table hooked at input beside the admin's own table.
const FOREIGN = `table ip kube {
  chain input { type filter hook input priority -10; policy accept; ip saddr 192.0.2.9 drop; }
  chain svc { tcp dport 30080 accept; }
}
`;
const own = (port: number) =>
  `table inet admin {\n  chain input { type filter hook input priority 0; policy accept; tcp dport ${port} accept; }\n}\n`;
const replaceOwn = (port: number) => `table inet admin\ndelete table inet admin\n${own(port)}`;

describe.skipIf(!isRoot)('cost follows the change: only the tables it names are listed', () => {
  const ns = useNetns('cost');
  const state = useStateDir();
  const cli = (...args: string[]) => fwsafe(['--netns', ns.name, '--state-dir', state.path, ...args]);
  const proposal = (port: number): string => {
    const file = join(state.path, `own-${port}.nft`);
    writeFileSync(file, replaceOwn(port));
    return file;
  };
  // A version's snapshot as every reader sees it (its tables' texts read from the table store).
  const version = (id: number) => new HistoryStore(state.path).snapshot(id);

  it('plan --no-probes lists the named table only and says which hooked tables it did not look at', () => {
    loadRuleset(ns.name, FOREIGN + own(22));
    const r = cli('plan', proposal(2222), '--no-probes', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.base.tables).toEqual(['inet admin']);
    expect(r.json.base.listed).toEqual(['inet admin']);
    expect(r.json.base.notListed).toEqual([{ table: 'ip kube', hooks: ['input'] }]);
    const f = r.json.findings.find((x: { code: string }) => x.code === 'TABLES_NOT_ANALYSED');
    expect(f?.message).toContain('ip kube (input)');
    expect(r.json.touchedTables.map((t: { name: string }) => t.name)).toEqual(['admin']);
    const text = cli('plan', proposal(2222), '--no-probes');
    expect(text.stdout).toContain('Live tables listed: inet admin; 1 hooked table(s) not listed');
  });

  it('with probes the plan names the tables the probes loaded (every hooked one)', () => {
    loadRuleset(ns.name, FOREIGN + own(22));
    const r = cli('plan', proposal(2222), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect([...r.json.base.listed].sort()).toEqual(['inet admin', 'ip kube']);
    expect(r.json.base.notListed).toBeUndefined();
    expect(r.json.findings.map((x: { code: string }) => x.code)).not.toContain('TABLES_NOT_ANALYSED');
  });

  it('drift is checked on the named tables: a foreign change is not drift, a change of the own table is (exit 8)', () => {
    loadRuleset(ns.name, FOREIGN + own(22));
    const planA = join(state.path, 'a.json');
    expect(cli('plan', proposal(2222), '--no-probes', '--out', planA).status).toBe(0);
    nft(ns.name, ['add', 'rule', 'ip', 'kube', 'svc', 'tcp', 'dport', '30081', 'accept']);
    const applied = cli('apply', '--plan', planA, '--no-wait', '--yes', '--no-probes', '--json');
    expect(applied.status, applied.stderr).toBe(0);
    expect(nft(ns.name, ['list', 'table', 'inet', 'admin'])).toContain('tcp dport 2222 accept');
    expect(cli('confirm', '--json').status).toBe(0);

    const planB = join(state.path, 'b.json');
    expect(cli('plan', proposal(3333), '--no-probes', '--out', planB).status).toBe(0);
    nft(ns.name, ['add', 'rule', 'inet', 'admin', 'input', 'tcp', 'dport', '4444', 'accept']);
    const before = nft(ns.name, ['list', 'ruleset']);
    const drifted = cli('apply', '--plan', planB, '--no-wait', '--yes', '--no-probes', '--json');
    expect(drifted.status).toBe(8);
    expect(nft(ns.name, ['list', 'ruleset'])).toBe(before);
  });

  it('versions keep every table: reused when the nft generation proves them unchanged, listed otherwise', async () => {
    loadRuleset(ns.name, FOREIGN + own(22));
    expect(cli('snapshot', '--json').status).toBe(0);
    const r = cli('apply', proposal(2222), '--no-wait', '--yes', '--no-probes', '--json');
    expect(r.status, r.stderr).toBe(0);
    const base = version(r.json.baseVersion);
    const after = version(r.json.versionId);
    // Nothing was committed between the snapshot and the plan: the base reuses the foreign table.
    expect(base.reused).toEqual({ version: r.json.baseVersion - 1, tables: ['ip kube'] });
    // Only the change's own commit since the base: the after-version lists the touched table alone.
    expect(after.reused).toEqual({ version: r.json.baseVersion, tables: ['ip kube'] });
    // And it is what the kernel lists, byte for byte.
    expect(after.nft.text).toBe((await listNftRuleset(ns.name)).text);
    expect(after.summary.nftRules).toBe(3);
    expect(cli('confirm', '--json').status).toBe(0);

    // A foreign commit since the latest version: no proof, the base is listed in full (and still right).
    nft(ns.name, ['add', 'rule', 'ip', 'kube', 'svc', 'tcp', 'dport', '30082', 'accept']);
    const live = (await listNftRuleset(ns.name)).text;
    const r2 = cli('apply', proposal(3333), '--no-wait', '--yes', '--no-probes', '--json');
    expect(r2.status, r2.stderr).toBe(0);
    const base2 = version(r2.json.baseVersion);
    expect(base2.reused).toBeUndefined();
    expect(base2.nft.text).toBe(live);
    expect(cli('confirm', '--json').status).toBe(0);
  });
});
