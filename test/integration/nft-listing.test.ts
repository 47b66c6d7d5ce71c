import { describe, expect, it } from 'vitest';
import { isRoot, loadRuleset, nft, useNetns } from '../helpers/netns.js';
import { hasSlowFullListing, listNftRuleset, nftTableNames, nftVersion } from '../../src/backends/nft.js';

const RULESET = `table inet a {
  set s { type ipv4_addr; elements = { 192.0.2.1 }; }
  chain c { type filter hook input priority 0; ip saddr @s counter drop; }
}
table ip b {
  counter cnt { }
  chain x { counter name cnt; tcp dport 22 accept; }
}
table ip6 c {
  map m { type ipv6_addr : verdict; }
}
table bridge f {
  chain y { }
}
table ip late {
  chain z { type filter hook output priority 0; }
}
`;

describe.skipIf(!isRoot)('nft listings table by table (nft < 1.1.1)', () => {
  const ns = useNetns('list');

  it('are byte-identical to nft list ruleset, text and JSON, in the same order', async () => {
    loadRuleset(ns.name, RULESET);
    expect(hasSlowFullListing(await nftVersion())).toBe(true); // this machine's nft 1.0.6: the per-table path runs
    const mine = await listNftRuleset(ns.name);
    expect(mine.text).toBe(nft(ns.name, ['-a', 'list', 'ruleset']));
    expect(JSON.parse(mine.json)).toEqual(JSON.parse(nft(ns.name, ['-j', 'list', 'ruleset'])));
  });

  it('find every table holding a chain, set, map or flowtable; an empty table is the documented gap', async () => {
    loadRuleset(ns.name, `${RULESET}table arp empty {\n}\n`);
    const names = (await nftTableNames(ns.name)).map((t) => `${t.family} ${t.name}`).sort();
    expect(names).toEqual(['bridge f', 'inet a', 'ip b', 'ip late', 'ip6 c']);
    expect(nft(ns.name, ['list', 'tables'])).toContain('table arp empty');
  });
});
