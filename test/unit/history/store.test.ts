import { mkdtempSync, rmSync, statSync, writeFileSync, symlinkSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/history/store.js';
import { StateError } from '../../../src/errors.js';
import type { SnapshotT } from '../../../src/snapshot/schema.js';
import { contentHash } from '../../../src/snapshot/hash.js';

const TEXT = 'table inet t { # handle 1\n\tchain c { # handle 1\n\t\ttcp dport 22 accept # handle 2\n\t}\n}\n';

function snapshot(text = TEXT): SnapshotT {
  return {
    schema: 1,
    takenAt: new Date().toISOString(),
    netns: 'x',
    hash: contentHash({ nftText: text }),
    nft: { text, json: '{"nftables":[]}' },
    iptablesNft: { v4: null, v6: null },
    iptablesLegacy: { v4: null, v6: null },
    firewalld: null,
    summary: { nftTables: 1, nftRules: 1, iptablesNft: false, iptablesLegacy: false, firewalld: false },
  };
}

function add(store: HistoryStore, message = 'm', text = TEXT) {
  const s = snapshot(text);
  return store.add(
    {
      kind: 'snapshot',
      createdAt: s.takenAt,
      actor: { user: 'u', host: 'h', from: null },
      message,
      netns: 'x',
      hash: s.hash,
      summary: s.summary,
      change: null,
    },
    s,
  );
}

describe('HistoryStore', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers versions, keeps files root-only and round-trips records and snapshots', () => {
    const store = new HistoryStore(join(dir, 'state'));
    const a = add(store, 'first');
    const b = add(store, 'second');
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(store.get(2).message).toBe('second');
    expect(store.snapshot(1).nft.text).toBe(TEXT);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'state', 'versions')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'state', 'versions', '000001.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state', 'journal.jsonl')).mode & 0o777).toBe(0o600);
  });

  it('resolves latest, -N and numbers, and rejects garbage', () => {
    const store = new HistoryStore(dir);
    add(store);
    add(store);
    add(store);
    expect(store.resolve('latest')).toBe(3);
    expect(store.resolve('-1')).toBe(2);
    expect(store.resolve('1')).toBe(1);
    expect(() => store.resolve('9')).toThrow(/Version 9 does not exist/);
    expect(() => store.resolve('abc')).toThrow(/not a version/);
    expect(() => store.resolve('-7')).toThrow(/no version -7/);
  });

  it('a truncated record gives a clear error naming the file, and never hides the others', () => {
    const store = new HistoryStore(dir);
    add(store, 'one');
    add(store, 'two');
    add(store, 'three');
    const file = join(dir, 'versions', '000002.json');
    writeFileSync(file, '{"schema":1,"id":2,"ki');
    expect(() => store.get(2)).toThrow(StateError);
    expect(() => store.get(2)).toThrow(file);
    const { records, errors } = store.list();
    expect(records.map((r) => r.message)).toEqual(['one', 'three']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('000002.json');
  });

  it('a record that fails its schema names the bad field', () => {
    const store = new HistoryStore(dir);
    add(store);
    const file = join(dir, 'versions', '000001.json');
    writeFileSync(file, JSON.stringify({ ...store.get(1), hash: 'nothex' }));
    expect(() => store.get(1)).toThrow(/hash: /);
  });

  it('a corrupt snapshot is reported for that version only', () => {
    const store = new HistoryStore(dir);
    add(store);
    add(store);
    writeFileSync(join(dir, 'versions', '000001.snapshot.json'), 'garbage');
    expect(() => store.snapshot(1)).toThrow(/000001.snapshot.json is not valid JSON/);
    expect(store.snapshot(2).nft.text).toBe(TEXT);
  });

  it('refuses a state dir or file that is a symlink', () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'link'));
    expect(() => new HistoryStore(join(dir, 'link')).init()).toThrow(/symbolic link/);
    const store = new HistoryStore(join(dir, 'state'));
    add(store);
    rmSync(join(dir, 'state', 'versions', '000001.json'));
    symlinkSync('/etc/hostname', join(dir, 'state', 'versions', '000001.json'));
    expect(() => store.get(1)).toThrow(/symbolic link/);
  });

  it('never reuses an id, even when a snapshot file was left by a crash', () => {
    const store = new HistoryStore(dir);
    add(store);
    writeFileSync(join(dir, 'versions', '000002.snapshot.json'), '{}');
    const next = add(store);
    expect(next.id).toBe(3);
  });

  it('skips a torn last journal line and counts it', () => {
    const store = new HistoryStore(dir);
    add(store);
    appendFileSync(join(dir, 'journal.jsonl'), '{"at":"2026');
    const { events, skipped } = store.readJournal();
    expect(events.map((e) => e.event)).toEqual(['version-added']);
    expect(skipped).toBe(1);
  });
});
