import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fwsafe, useStateDir } from '../helpers/cli.js';
import { isRoot, liveRuleset, useNetns } from '../helpers/netns.js';
import { waitFor } from '../e2e/state-probe.js';
import { removeStateDir } from '../helpers/state-dir.js';

describe.skipIf(!isRoot)('tables with the nft owner flag', () => {
  const ns = useNetns('owner');
  const state = useStateDir();
  let holder: ChildProcess | null = null;
  let dir = '';
  afterEach(() => {
    if (holder?.pid) process.kill(holder.pid, 'SIGKILL');
    holder = null;
    if (dir) removeStateDir(dir);
  });

  it('detect names the table and its owning process; an nft plan touching it is blocked with TABLE_OWNER_FLAG; nothing changes', async () => {
    // An interactive nft holds its netlink socket open: the owned table lives as long as it does.
    holder = spawn('ip', ['netns', 'exec', ns.name, 'nft', '-i'], { stdio: ['pipe', 'ignore', 'ignore'] });
    holder.stdin!.write(
      'add table inet owned { flags owner; }\nadd chain inet owned input { type filter hook input priority 0; policy accept; }\n',
    );
    expect(await waitFor(() => liveRuleset(ns.name).includes('flags owner'), 5000)).toBe(true);
    const before = liveRuleset(ns.name);

    const d = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'detect', '--json']);
    expect(d.status, d.stderr).toBe(0);
    const w = d.json.warnings.find((x: any) => x.code === 'TABLE_OWNER_FLAG');
    expect(w.message).toMatch(/inet owned carries the nft owner flag \(owned by the process nft\)/);

    dir = mkdtempSync(join(tmpdir(), 'fwsafe-owner-'));
    const p = join(dir, 'edit.nft');
    writeFileSync(p, 'add rule inet owned input tcp dport 443 accept\n');
    const plan = fwsafe(['--netns', ns.name, '--state-dir', state.path, 'plan', p, '--json', '--no-probes']);
    expect(plan.status, plan.stderr + plan.stdout).toBe(0);
    const f = plan.json.findings.find((x: any) => x.code === 'TABLE_OWNER_FLAG');
    expect(f).toMatchObject({ severity: 'error', location: 'inet owned' });
    const apply = fwsafe([
      '--netns',
      ns.name,
      '--state-dir',
      state.path,
      'apply',
      p,
      '--no-wait',
      '--yes',
      '--no-probes',
      '--json',
    ]);
    expect(apply.status).toBe(5);
    expect(liveRuleset(ns.name)).toBe(before);
  });
});
