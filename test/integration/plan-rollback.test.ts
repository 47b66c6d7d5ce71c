import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/plan/create-plan.js';
import { inNetns, isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { removeStateDir } from '../helpers/state-dir.js';

// Counters, quota usage, a named counter and set elements: the rollback must bring back all of it.
const BASE = `table inet filter {
  counter seen { }
  set allow { type ipv4_addr; elements = { 198.51.100.1, 198.51.100.2 }; }
  chain input { type filter hook input priority 0; policy accept;
    iif lo ip protocol icmp counter name seen
    iif lo ip protocol icmp counter accept
    tcp dport 22 quota over 900 mbytes drop
    ip saddr @allow accept
  }
}
table ip other { chain out { type filter hook output priority 0; counter; }; }
`;
const withoutHandles = (s: string) => s.replace(/ # handle \d+$/gm, '');

describe.skipIf(!isRoot)('plan rollback: exactly as it was, counters included', () => {
  const ns = useNetns('rb');
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-rb-'));
  });
  afterEach(() => removeStateDir(dir));

  it('apply the proposal, run the rollback script: the listing is byte-for-byte the one at plan time (minus handles)', async () => {
    loadRuleset(ns.name, BASE);
    inNetns(ns.name, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1']);
    const atPlan = withoutHandles(nft(ns.name, ['list', 'ruleset']));
    expect(atPlan).toMatch(/counter packets [1-9]\d* bytes/);
    const p = join(dir, 'change.nft');
    writeFileSync(
      p,
      'table inet filter\ndelete table inet filter\ntable inet filter { chain input { type filter hook input priority 0; policy accept; tcp dport 443 accept; }; }\ndelete table ip other\ntable ip made { chain c { }; }\n',
    );
    const plan = await createPlan({ netns: ns.name, proposalPath: p, probes: { enabled: false } });
    expect(plan.touchedTables.map((t) => `${t.family} ${t.name} ${t.existedBefore} ${t.existsAfter}`)).toEqual([
      'inet filter true true',
      'ip made false true',
      'ip other true false',
    ]);
    expect(plan.rollback.nftScript).not.toMatch(/flush ruleset|# handle/);
    expect(plan.rollback.nftScript).toMatch(/counter packets [1-9]/);
    inNetns(ns.name, 'nft', ['-f', p]);
    expect(withoutHandles(nft(ns.name, ['list', 'ruleset']))).not.toBe(atPlan);
    // One transaction: a broken copy of the script changes nothing at all.
    expect(() => inNetns(ns.name, 'nft', ['-f', '-'], `${plan.rollback.nftScript}this is not nft\n`)).toThrow();
    expect(nft(ns.name, ['list', 'tables'])).toContain('table ip made');
    inNetns(ns.name, 'nft', ['-f', '-'], plan.rollback.nftScript);
    expect(withoutHandles(nft(ns.name, ['list', 'ruleset']))).toBe(atPlan);
  });
});
