import {
  chmodSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/history/store.js';
import { TableStore } from '../../../src/history/table-store.js';
import { composeSnapshot } from '../../../src/history/complete-snapshot.js';
import { INLINE_BELOW } from '../../../src/history/stored-snapshot.js';
import { contentHash, sha256, tableForm } from '../../../src/snapshot/hash.js';
import { tableBlocks } from '../../../src/snapshot/table-blocks.js';
import type { SnapshotT } from '../../../src/snapshot/schema.js';

// A table over INLINE_BELOW characters (stored as a file of its own), or a small one (kept inline).
const filler = Array.from(
  { length: 2000 },
  (_, i) => `\t\tip saddr 10.0.${i >> 8}.${i & 255} drop # handle ${i + 10}\n`,
).join('');
const table = (name: string, port: number, handle: number, small = false) =>
  `table inet ${name} { # handle ${handle}\n\tchain c { # handle 1\n\t\ttcp dport ${port} counter packets 3 bytes 180 accept # handle 2\n${small ? '' : filler}\t}\n}\n`;
const SET = `table ip "quoted" { # handle 9\n\tset s { # handle 2\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.9, 192.0.2.1,\n\t\t\t     198.51.100.1 }\n\t}\n}\n`;
const TWO = table('b', 22, 1) + table('a', 80, 2);

function snapshot(text: string, json: string | null = null): SnapshotT {
  return {
    schema: 1,
    takenAt: new Date().toISOString(),
    netns: 'x',
    hash: contentHash({ nftText: text }),
    nft: { text, json },
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary: { nftTables: 2, nftRules: 2, iptablesNft: false, iptablesLegacy: false, firewalld: false },
  };
}

function add(store: HistoryStore, text: string, json: string | null = null) {
  const s = snapshot(text, json);
  return store.add(
    {
      kind: 'snapshot',
      createdAt: s.takenAt,
      actor: { user: 'u', host: 'h', from: null },
      message: 'm',
      netns: 'x',
      hash: s.hash,
      summary: s.summary,
      change: null,
    },
    s,
  );
}

const snapshotFile = (dir: string, id: number) => join(dir, 'versions', `${String(id).padStart(6, '0')}.snapshot.json`);
const texts = (dir: string) =>
  readdirSync(join(dir, 'versions', 'tables'))
    .filter((n) => n.endsWith('.nft'))
    .sort();

describe('versions name their tables in a content-addressed table store', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every version, stores a table shared by versions once, root-only', () => {
    const store = new HistoryStore(dir);
    const second = table('b', 22, 1) + table('a', 443, 2);
    add(store, TWO);
    add(store, second);
    add(store, TWO, '{"nftables":[]}');
    expect(store.snapshot(1).nft.text).toBe(TWO);
    expect(store.snapshot(2).nft.text).toBe(second);
    expect(store.snapshot(3).nft).toEqual({ text: TWO, json: '{"nftables":[]}' });
    expect(store.snapshot(3).schema).toBe(1);
    // three distinct tables: b (shared by all three versions), a:80 and a:443
    expect(texts(dir)).toEqual(
      [table('b', 22, 1), table('a', 80, 2), table('a', 443, 2)].map((t) => `${sha256(t)}.nft`).sort(),
    );
    const stored = JSON.parse(readFileSync(snapshotFile(dir, 2), 'utf8'));
    expect(stored.schema).toBe(2);
    expect(stored.nft.tables).toEqual([
      { key: 'inet b', text: sha256(table('b', 22, 1)) },
      { key: 'inet a', text: sha256(table('a', 443, 2)) },
    ]);
    expect(JSON.stringify(stored)).not.toContain('tcp dport');
    expect(statSync(join(dir, 'versions', 'tables')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'versions', 'tables', texts(dir)[0]!)).mode & 0o777).toBe(0o600);
  });

  it('a missing or corrupt table text is a clear error for the versions that name it only', () => {
    const store = new HistoryStore(dir);
    add(store, TWO);
    add(store, table('c', 1, 1));
    const file = join(dir, 'versions', 'tables', `${sha256(table('a', 80, 2))}.nft`);
    writeFileSync(file, table('a', 81, 2));
    expect(() => new HistoryStore(dir).snapshot(1)).toThrow(
      /table text [0-9a-f]{64} of version 1 is corrupt .*does not match its name/,
    );
    rmSync(file);
    expect(() => new HistoryStore(dir).snapshot(1)).toThrow(/table text [0-9a-f]{64} of version 1 is missing/);
    expect(new HistoryStore(dir).snapshot(2).nft.text).toBe(table('c', 1, 1));
    // the next version with that table writes it again
    add(new HistoryStore(dir), TWO);
    expect(new HistoryStore(dir).snapshot(1).nft.text).toBe(TWO);
  });

  it('a table text cut short on disk is written again by the next version that names it', () => {
    const store = new HistoryStore(dir);
    add(store, TWO);
    const file = join(dir, 'versions', 'tables', `${sha256(table('b', 22, 1))}.nft`);
    truncateSync(file, 10);
    add(new HistoryStore(dir), TWO);
    expect(new HistoryStore(dir).snapshot(1).nft.text).toBe(TWO);
    expect(new HistoryStore(dir).snapshot(2).nft.text).toBe(TWO);
  });

  it('refuses a table text that is a symlink, and a snapshot naming something that is not a sha256', () => {
    const store = new HistoryStore(dir);
    add(store, TWO);
    const file = join(dir, 'versions', 'tables', `${sha256(table('b', 22, 1))}.nft`);
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, table('b', 22, 1));
    rmSync(file);
    symlinkSync(elsewhere, file);
    expect(() => new HistoryStore(dir).snapshot(1)).toThrow(/symbolic link/);
    const stored = JSON.parse(readFileSync(snapshotFile(dir, 1), 'utf8'));
    stored.nft.tables[0].text = '../../etc/passwd';
    writeFileSync(snapshotFile(dir, 1), JSON.stringify(stored));
    expect(() => new HistoryStore(dir).snapshot(1)).toThrow(/does not match its schema: nft.tables.0.text/);
  });

  it('a version is written only after its tables: a failure writing them leaves no version', () => {
    const store = new HistoryStore(dir);
    add(store, TWO);
    // the table store cannot be written (here: its directory is a file): nothing names what is not there
    rmSync(join(dir, 'versions', 'tables'), { recursive: true });
    writeFileSync(join(dir, 'versions', 'tables'), 'not a directory');
    expect(() => add(new HistoryStore(dir), table('c', 3, 3))).toThrow(/not a directory/);
    expect(new HistoryStore(dir).ids()).toEqual([1]);
    expect(readdirSync(join(dir, 'versions')).filter((n) => n.startsWith('000002'))).toEqual([]);
  });

  it('texts left by a crash before their version are harmless and used by the next version', () => {
    const store = new HistoryStore(dir);
    add(store, table('b', 22, 1));
    const orphan = table('a', 80, 2);
    writeFileSync(join(dir, 'versions', 'tables', `${sha256(orphan)}.nft`), orphan, { mode: 0o600 });
    expect(new HistoryStore(dir).ids()).toEqual([1]);
    add(new HistoryStore(dir), TWO);
    expect(new HistoryStore(dir).snapshot(2).nft.text).toBe(TWO);
    expect(texts(dir)).toHaveLength(2);
  });

  it('keeps small tables inside the snapshot file', () => {
    const store = new HistoryStore(dir);
    const text = table('a', 1, 1) + table('s', 2, 2, true);
    add(store, text);
    expect(table('s', 2, 2, true).length).toBeLessThan(INLINE_BELOW);
    expect(table('a', 1, 1).length).toBeGreaterThanOrEqual(INLINE_BELOW);
    const stored = JSON.parse(readFileSync(snapshotFile(dir, 1), 'utf8'));
    expect(stored.nft.tables).toEqual([
      { key: 'inet a', text: sha256(table('a', 1, 1)) },
      { key: 'inet s', inline: table('s', 2, 2, true) },
    ]);
    expect(texts(dir)).toEqual([`${sha256(table('a', 1, 1))}.nft`]);
    expect(new HistoryStore(dir).snapshot(1).nft.text).toBe(text);
  });

  it('keeps a listing that is not made of whole table blocks as it is (schema 1)', () => {
    const store = new HistoryStore(dir);
    const odd = `# not a table\n${TWO}`;
    add(store, odd);
    expect(JSON.parse(readFileSync(snapshotFile(dir, 1), 'utf8')).schema).toBe(1);
    expect(store.snapshot(1).nft.text).toBe(odd);
  });

  it('reads history written before table texts were shared (fixture from the earlier release)', () => {
    const state = join(dir, 'state');
    cpSync(new URL('../../fixtures/history-v1', import.meta.url).pathname, state, { recursive: true });
    for (const p of [state, join(state, 'versions')]) chmodSync(p, 0o700);
    const store = new HistoryStore(state);
    expect(store.ids()).toEqual([1, 2]);
    const old = store.snapshot(2);
    expect(old.nft.text).toContain('tcp dport 443 accept # handle 3');
    expect(contentHash({ nftText: old.nft.text })).toBe(store.get(2).hash);
    // a new version beside them names its tables; the old ones still read the same
    add(store, old.nft.text);
    expect(JSON.parse(readFileSync(snapshotFile(state, 3), 'utf8')).schema).toBe(2);
    expect(store.snapshot(3).nft.text).toBe(old.nft.text);
    expect(store.snapshot(1).nft.text).toContain('table ip foreign');
  });
});

describe('the content hash table by table', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const listings = [TWO, SET + TWO, table('z', 1, 3) + SET + table('a', 2, 4), ''];

  it('equals the whole-text content hash, also from forms cached on disk or corrupt there', () => {
    for (const text of listings) {
      const blocks = tableBlocks(text);
      const legacy = { legacyV4: '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n', legacyV6: null };
      const whole = contentHash({ nftText: text, ...legacy });
      expect(new TableStore(dir).contentHash(blocks, legacy)).toBe(whole);
      // a second process reads the forms the first stored
      expect(new TableStore(dir).contentHash(blocks, legacy)).toBe(whole);
    }
    const forms = readdirSync(dir).filter((n) => n.endsWith('.form'));
    expect(forms.length).toBeGreaterThan(3);
    // a form whose content or key (the key orders the tables) was altered fails its check and is computed again
    for (const [i, f] of forms.entries()) {
      const text = readFileSync(join(dir, f), 'utf8');
      writeFileSync(join(dir, f), i % 2 ? text.replace('tcp', 'udp') : text.replace(/^(fwsafe-form \S+ )\S+/, '$1zzz'));
    }
    for (const text of listings)
      expect(new TableStore(dir).contentHash(tableBlocks(text), {})).toBe(contentHash({ nftText: text }));
  });

  it('falls back to the whole text when a block is not one plain table', () => {
    expect(tableForm(TWO)).toBeNull();
    const open = `table ip t { # handle 1\n\tset s { # handle 2\n\t\ttype ipv4_addr\n\t\telements = { "a\n\t}\n}\n`;
    expect(tableForm(open)).toBeNull();
    const text = open + table('a', 1, 2);
    expect(new TableStore(dir).contentHash(tableBlocks(text), {})).toBe(contentHash({ nftText: text }));
  });

  it('the applied version of a one-table change normalises only the changed table', () => {
    const store = new HistoryStore(dir);
    add(store, TWO);
    const base = store.snapshot(1);
    const fresh = table('a', 443, 2);
    const partial: SnapshotT = { ...snapshot(fresh), listedTables: ['inet a'] };
    const reader = new HistoryStore(dir);
    const composed = composeSnapshot(base, 1, partial, 1, reader.tables);
    // no generation on either side: nothing is proven
    expect(composed).toBeNull();
    const gen = { bootId: 'b', netnsCookie: '1', genid: 5 };
    const withGen = composeSnapshot(
      { ...base, generation: gen },
      1,
      { ...partial, generation: { ...gen, genid: 6 } },
      1,
      reader.tables,
    );
    expect(withGen?.nft.text).toBe(table('b', 22, 1) + fresh);
    expect(withGen?.hash).toBe(contentHash({ nftText: table('b', 22, 1) + fresh }));
    expect(withGen?.reused).toEqual({ version: 1, tables: ['inet b'] });
    // what the composition learnt of the kept table (nothing datapath-updated) is recorded with the version
    const record = { ...store.get(1), kind: 'apply' as const, hash: withGen!.hash, summary: withGen!.summary };
    const { id: _id, schema: _schema, ...rest } = record;
    const v2 = reader.add(rest, withGen!);
    const stored = JSON.parse(readFileSync(snapshotFile(dir, v2.id), 'utf8'));
    expect(stored.nft.tables.map((t: { volatile?: boolean }) => t.volatile)).toEqual([false, undefined]);
    // and is what the next composition goes by: a table recorded as volatile is never reused
    stored.nft.tables[0].volatile = true;
    writeFileSync(snapshotFile(dir, v2.id), JSON.stringify(stored));
    const next = new HistoryStore(dir);
    const from = next.snapshot(v2.id);
    const again = { ...partial, nft: { text: table('a', 8080, 2), json: null }, generation: { ...gen, genid: 7 } };
    expect(composeSnapshot({ ...from, generation: { ...gen, genid: 6 } }, v2.id, again, 1, next.tables)).toBeNull();
    expect(composeSnapshot({ ...from, generation: { ...gen, genid: 6 } }, v2.id, again, 1)).not.toBeNull();
  });
});
