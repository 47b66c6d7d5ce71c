import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarise, type DetectFacts } from '../../../src/detect/summarise.js';
import { renderDetect } from '../../../src/detect/render.js';
import { resolveIptables, type IptablesResolution } from '../../../src/detect/iptables-variant.js';
import { DetectResult } from '../../../src/detect/schema.js';
import { buildModel } from '../../../src/ruleset/model.js';

// A compact `nft -j` listing: tables, chains (hook when given) and one rule each where asked.
function nftJson(
  tables: { family: string; name: string; chains: { name: string; hook?: string; rules?: number; xt?: boolean }[] }[],
): string {
  const items: unknown[] = [];
  let handle = 1;
  for (const t of tables) {
    items.push({ table: { family: t.family, name: t.name, handle: handle++ } });
    for (const c of t.chains) {
      items.push({
        chain: {
          family: t.family,
          table: t.name,
          name: c.name,
          handle: handle++,
          ...(c.hook ? { type: 'filter', hook: c.hook, prio: 0, policy: 'accept' } : {}),
        },
      });
      for (let i = 0; i < (c.rules ?? 0); i++) {
        items.push({
          rule: {
            family: t.family,
            table: t.name,
            chain: c.name,
            handle: handle++,
            expr: [c.xt ? { xt: { type: 'match', name: 'comment' } } : { accept: null }],
          },
        });
      }
    }
  }
  return JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, ...items] });
}

const iptablesNft: IptablesResolution = {
  command: 'iptables',
  path: '/usr/sbin/iptables',
  links: ['/usr/sbin/xtables-nft-multi'],
  resolvesTo: '/usr/sbin/xtables-nft-multi',
  variant: 'nft',
};

function facts(over: Partial<DetectFacts> = {}): DetectFacts {
  return {
    netns: 'lab',
    nftInstalled: true,
    model: { tables: [] },
    legacy: { v4: { names: [], save: null }, v6: { names: [], save: null } },
    iptablesCommands: [iptablesNft],
    conntrack: { count: null, max: null },
    firewalld: null,
    ...over,
  };
}

const LEGACY_SAVE =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[0:0] -A INPUT -s 203.0.113.5/32 -j DROP\nCOMMIT\n';
const codes = (r: { warnings: { code: string }[] }): string[] => r.warnings.map((w) => w.code);
const full = (f: DetectFacts) => DetectResult.parse({ ...summarise(f), durationMs: 1 });

describe('detect: summarise (pure)', () => {
  it('nft before 1.1.1: says full-ruleset listings are slow there (info), with the figure; not on a fixed nft', () => {
    const slow = full(facts({ nftVersion: [1, 0, 6] }));
    const w = slow.warnings.find((x) => x.code === 'NFT_SLOW_FULL_LISTING');
    expect(w?.severity).toBe('info');
    expect(w?.message).toContain('218 s');
    expect(codes(full(facts({ nftVersion: [1, 1, 1] })))).not.toContain('NFT_SLOW_FULL_LISTING');
    expect(codes(full(facts()))).not.toContain('NFT_SLOW_FULL_LISTING');
  });

  it('splits native nft from iptables-nft tables and classifies owners of tables and chains', () => {
    const model = buildModel(
      nftJson([
        { family: 'inet', name: 'filter', chains: [{ name: 'input', hook: 'input', rules: 2 }] },
        { family: 'inet', name: 'f2b-table', chains: [{ name: 'f2b-chain', hook: 'input', rules: 1 }] },
        {
          family: 'ip',
          name: 'filter',
          chains: [
            { name: 'INPUT', hook: 'input', rules: 1, xt: true },
            { name: 'DOCKER' },
            { name: 'DOCKER-USER', rules: 1 },
          ],
        },
      ]),
    );
    const r = full(facts({ model }));
    expect(r.backends.nftables.tables.map((t) => [t.name, t.owner, t.rules])).toEqual([
      ['filter', 'unknown', 2],
      ['f2b-table', 'fail2ban', 1],
    ]);
    expect(r.backends.iptablesNft).toMatchObject({ present: true, v4: true, v6: false, rules: 2 });
    expect(r.backends.iptablesNft.tables[0]!.chains.map((c) => [c.name, c.owner])).toEqual([
      ['INPUT', 'iptables-nft-managed'],
      ['DOCKER', 'docker'],
      ['DOCKER-USER', 'docker'],
    ]);
    expect(r.owners.find((o) => o.owner === 'docker')).toEqual({
      owner: 'docker',
      tables: [],
      chains: ['ip filter DOCKER', 'ip filter DOCKER-USER'],
    });
    expect(codes(r)).toEqual(['IPTABLES_NFT_TABLES', 'OWNED_BY_OTHERS']);
  });

  it('legacy rules beside hooked nft chains: both evaluated, and `iptables` (nft) hides them', () => {
    const model = buildModel(nftJson([{ family: 'inet', name: 'filter', chains: [{ name: 'input', hook: 'input' }] }]));
    const r = full(
      facts({ model, legacy: { v4: { names: ['filter'], save: LEGACY_SAVE }, v6: { names: [], save: null } } }),
    );
    expect(r.backends.iptablesLegacy).toMatchObject({ present: true, v4: true, v6: false, rules: 1 });
    expect(r.backends.iptablesLegacy.tables[0]!.chains[0]).toEqual({
      name: 'INPUT',
      owner: 'unknown',
      hook: 'input',
      policy: 'ACCEPT',
      rules: 1,
    });
    expect(codes(r)).toEqual(['LEGACY_AND_NFT_ACTIVE', 'IPTABLES_VARIANT_MISMATCH']);
  });

  it('inert legacy tables (no rules, ACCEPT policies) raise nothing; a DROP policy does', () => {
    const model = buildModel(nftJson([{ family: 'inet', name: 'filter', chains: [{ name: 'input', hook: 'input' }] }]));
    const empty = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    expect(
      codes(full(facts({ model, legacy: { v4: { names: ['filter'], save: empty }, v6: { names: [], save: null } } }))),
    ).toEqual([]);
    const drop = '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n';
    expect(
      codes(full(facts({ model, legacy: { v4: { names: [], save: null }, v6: { names: ['filter'], save: drop } } }))),
    ).toContain('LEGACY_AND_NFT_ACTIVE');
  });

  it('`iptables` resolving to legacy while iptables-nft tables exist', () => {
    const model = buildModel(
      nftJson([{ family: 'ip', name: 'filter', chains: [{ name: 'INPUT', hook: 'input', rules: 1, xt: true }] }]),
    );
    const legacy = {
      ...iptablesNft,
      links: ['/usr/sbin/xtables-legacy-multi'],
      resolvesTo: '/usr/sbin/xtables-legacy-multi',
      variant: 'legacy' as const,
    };
    expect(codes(full(facts({ model, iptablesCommands: [legacy] })))).toContain('IPTABLES_VARIANT_MISMATCH');
  });

  it('firewalld: running (with zones) vs. its table without a daemon', () => {
    const model = buildModel(
      nftJson([{ family: 'inet', name: 'firewalld', chains: [{ name: 'filter_INPUT', hook: 'input' }] }]),
    );
    const running = full(
      facts({
        model,
        firewalld: {
          state: 'running',
          defaultZone: 'public',
          activeZones: [
            { name: 'public', interfaces: ['lo'], sources: [], services: ['ssh'], ports: [], richRules: [] },
          ],
        },
      }),
    );
    expect(running.backends.firewalld).toEqual({
      present: true,
      running: true,
      defaultZone: 'public',
      activeZones: [{ name: 'public', interfaces: ['lo'], sources: [] }],
      tables: ['inet firewalld'],
      chains: [],
    });
    expect(codes(running)).toEqual(['FIREWALLD_RUNNING', 'OWNED_BY_OTHERS']);
    expect(codes(full(facts({ model })))).toEqual(['FIREWALLD_NOT_ANSWERING', 'OWNED_BY_OTHERS']);
  });

  it("firewalld's iptables backend: no table of its own, its chains inside iptables-nft's ip filter", () => {
    const model = buildModel(
      nftJson([
        {
          family: 'ip',
          name: 'filter',
          chains: [
            { name: 'INPUT', hook: 'input', rules: 1, xt: true },
            { name: 'INPUT_direct' },
            { name: 'IN_public_allow', rules: 2 },
          ],
        },
      ]),
    );
    const r = full(facts({ model, firewalld: { state: 'running', defaultZone: 'public', activeZones: [] } }));
    expect(r.backends.firewalld).toMatchObject({
      present: true,
      running: true,
      tables: [],
      chains: ['ip filter INPUT_direct', 'ip filter IN_public_allow'],
    });
    const w = r.warnings.find((x) => x.code === 'FIREWALLD_RUNNING')!;
    expect(w.message).toContain('it owns ip filter INPUT_direct, ip filter IN_public_allow');
    expect(renderDetect(r)).toMatch(/firewalld\s+running, default zone public/);
    expect(renderDetect(full(facts({ model })))).toMatch(/firewalld\s+chains present, daemon not answering/);
  });

  it('OWNED_BY_OTHERS names each chain with its table, tables first', () => {
    const model = buildModel(
      nftJson([
        {
          family: 'ip',
          name: 'filter',
          chains: [{ name: 'FORWARD', hook: 'forward' }, { name: 'DOCKER' }, { name: 'DOCKER-USER' }],
        },
        { family: 'ip', name: 'nat', chains: [{ name: 'DOCKER' }] },
        { family: 'ip', name: 'docker-bridges', chains: [{ name: 'forward', hook: 'forward' }] },
      ]),
    );
    const r = full(facts({ model }));
    // iptables -t nat -N DOCKER alone: no built-in chain yet, still iptables-nft's table.
    expect(r.backends.iptablesNft.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip filter', 'ip nat']);
    expect(r.warnings.find((w) => w.code === 'OWNED_BY_OTHERS')!.message).toContain(
      'docker (table ip docker-bridges; chains DOCKER, DOCKER-USER in ip filter; chain DOCKER in ip nat)',
    );
  });

  it('conntrack: usage as a note, a warning from 80 % of nf_conntrack_max', () => {
    const low = full(facts({ conntrack: { count: 10, max: 1000 } }));
    expect(low.conntrack).toEqual({ count: 10, max: 1000, percent: 1 });
    expect(low.warnings).toMatchObject([{ code: 'CONNTRACK_USAGE', severity: 'info' }]);
    expect(full(facts({ conntrack: { count: 800, max: 1000 } })).warnings).toMatchObject([
      { code: 'CONNTRACK_NEAR_FULL', severity: 'warning' },
    ]);
    expect(full(facts({ conntrack: { count: 5, max: null } })).conntrack).toEqual({
      count: 5,
      max: null,
      percent: null,
    });
    expect(full(facts()).conntrack).toBeNull();
  });

  it('renders within 80 columns, even with long names and many warnings', () => {
    const long = 'a-very-long-table-name-that-goes-on-and-on';
    const model = buildModel(
      nftJson([
        { family: 'inet', name: long, chains: [{ name: 'input', hook: 'input', rules: 3 }] },
        {
          family: 'ip',
          name: 'filter',
          chains: [
            { name: 'INPUT', hook: 'input', rules: 1, xt: true },
            ...Array.from({ length: 12 }, (_, i) => ({ name: `DOCKER-ISOLATION-STAGE-${i}` })),
          ],
        },
        { family: 'inet', name: 'firewalld', chains: [{ name: 'filter_INPUT', hook: 'input' }] },
      ]),
    );
    const r = full(
      facts({
        model,
        legacy: { v4: { names: ['filter'], save: LEGACY_SAVE }, v6: { names: [], save: null } },
        conntrack: { count: 900, max: 1000 },
      }),
    );
    const text = renderDetect(r);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).toContain('docker chains: DOCKER-ISOLATION-STAGE-0');
    expect(text).toContain('! CONNTRACK_NEAR_FULL');
  });
});

describe('detect: which iptables the command resolves to', () => {
  it('follows the alternatives symlinks to xtables-*-multi', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwsafe-alt-'));
    try {
      mkdirSync(join(dir, 'sbin'));
      mkdirSync(join(dir, 'alternatives'));
      writeFileSync(join(dir, 'sbin', 'xtables-legacy-multi'), '');
      symlinkSync('xtables-legacy-multi', join(dir, 'sbin', 'iptables-legacy'));
      symlinkSync(join(dir, 'sbin', 'iptables-legacy'), join(dir, 'alternatives', 'iptables'));
      symlinkSync(join(dir, 'alternatives', 'iptables'), join(dir, 'sbin', 'iptables'));
      const r = resolveIptables('iptables', [join(dir, 'sbin')]);
      expect(r.variant).toBe('legacy');
      expect(r.links).toEqual([
        join(dir, 'alternatives', 'iptables'),
        join(dir, 'sbin', 'iptables-legacy'),
        join(dir, 'sbin', 'xtables-legacy-multi'),
      ]);
      expect(resolveIptables('ip6tables', [join(dir, 'sbin')]).variant).toBe('missing');
      // A symlink loop ends, bounded.
      symlinkSync('loop-b', join(dir, 'sbin', 'loop-a'));
      symlinkSync('loop-a', join(dir, 'sbin', 'loop-b'));
      expect(resolveIptables('loop-a', [join(dir, 'sbin')]).links.length).toBeLessThanOrEqual(16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
