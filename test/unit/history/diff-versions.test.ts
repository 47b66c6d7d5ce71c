import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/history/store.js';
import { diffVersions } from '../../../src/history/diff-versions.js';
import { contentHash } from '../../../src/snapshot/hash.js';
import type { SnapshotT } from '../../../src/snapshot/schema.js';

const FILTER =
  'table inet filter { # handle 1\n\tchain input { # handle 1\n\t\ttcp dport 22 accept # handle 2\n\t}\n}\n';
const table = (family: string, name: string, chain: string, rule: string, handle: number): string =>
  `table ${family} ${name} { # handle ${handle}\n\tchain ${chain} { # handle 1\n\t\t${rule} # handle 2\n\t}\n}\n`;
const DOCKER = table('ip', 'docker-bridges', 'forward', 'accept', 5);
const HANDMADE = table('inet', 'handmade', 'c', 'tcp dport 8080 accept', 6);
const MINE = table('inet', 'mine', 'c', 'tcp dport 443 accept', 7);

function add(store: HistoryStore, text: string, touched: string[] | null = null) {
  const hash = contentHash({ nftText: text });
  const summary = { nftTables: 1, nftRules: 1, iptablesNft: false, iptablesLegacy: false, firewalld: false };
  const snapshot: SnapshotT = {
    schema: 1,
    takenAt: new Date().toISOString(),
    netns: 'x',
    hash,
    nft: { text, json: null },
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary,
  };
  const change =
    touched === null
      ? null
      : {
          state: 'confirmed' as const,
          changeId: 'c1',
          baseVersion: 1,
          touchedTables: touched,
          deadline: null,
          confirmedAt: snapshot.takenAt,
          confirmedBy: null,
          rolledBackAt: null,
          rollbackReason: null,
          overwritten: [],
          persistedTo: null,
          error: null,
        };
  return store.add(
    {
      kind: touched === null ? 'snapshot' : 'apply',
      createdAt: snapshot.takenAt,
      actor: { user: 'u', host: 'h', from: null },
      message: 'm',
      netns: 'x',
      hash,
      summary,
      change,
    },
    snapshot,
  ).id;
}

describe('diff of two versions: tables of other owners that appeared since the older one are listed, not compared', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-diff-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("docker's and a hand-made table are not compared; a table a fwsafe change created is; either order, --all compares all", async () => {
    const stateDir = join(dir, 'state');
    const store = new HistoryStore(stateDir);
    const one = String(add(store, FILTER));
    const two = String(add(store, `${FILTER}${MINE}`, ['inet mine']));
    const three = String(add(store, `${FILTER}${MINE}${DOCKER}${HANDMADE}`));
    const diff = (a: string, b: string, all = false) => diffVersions({ a, b, netns: 'x', stateDir, all });

    const later = await diff(two, three);
    expect(later.identical).toBe(true);
    expect(later.unified).toBe('');
    expect(later.notCompared.map((t) => [t.table, t.owner, t.side])).toEqual([
      ['ip docker-bridges', 'docker', 'to'],
      ['inet handmade', null, 'to'],
    ]);
    const reversed = await diff(three, two);
    expect(reversed.identical).toBe(true);
    expect(reversed.notCompared.map((t) => [t.table, t.side])).toEqual([
      ['ip docker-bridges', 'from'],
      ['inet handmade', 'from'],
    ]);
    // inet mine was created by a fwsafe change: compared, so a difference.
    const fromOne = await diff(one, three);
    expect(fromOne.identical).toBe(false);
    expect(fromOne.unified).toContain('+table inet mine');
    expect(fromOne.unified).not.toMatch(/docker-bridges|handmade/);
    const all = await diff(two, three, true);
    expect(all.identical).toBe(false);
    expect(all.notCompared).toEqual([]);
    expect(all.unified).toContain('+table ip docker-bridges');
    // A table of other owners that existed in the older version too is compared as always.
    const four = String(add(store, `${FILTER}${MINE}${DOCKER.replace('accept', 'drop')}${HANDMADE}`));
    const changed = await diff(three, four);
    expect(changed.identical).toBe(false);
    expect(changed.notCompared).toEqual([]);
    expect(changed.unified).toContain('+\t\tdrop');
  });
});
