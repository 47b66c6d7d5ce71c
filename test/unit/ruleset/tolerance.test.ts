import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/ruleset/model.js';
import { parseNftJson } from '../../../src/ruleset/nft-json.js';
import { splitTables } from '../../../src/ruleset/text.js';
import { textModel } from '../../../src/ruleset/text-model.js';

// Shapes nft 1.0.6 prints that the schemas tolerate, one test each (issue 22). The listings are what
// `nft -j list ruleset` / `nft -a list ruleset` printed here for the conformance corpus.
const doc = (...items: unknown[]): string =>
  JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, ...items] });
const table = (family = 'inet', name = 't') => ({ table: { family, name, handle: 1 } });
const chain = (
  name = 'input',
  extra: Record<string, unknown> = { type: 'filter', hook: 'input', prio: 0, policy: 'accept' },
) => ({ chain: { family: 'inet', table: 't', name, handle: 1, ...extra } });
const rule = (handle: number, expr: unknown, chainName = 'input') => ({
  rule: { family: 'inet', table: 't', chain: chainName, handle, expr },
});
const dport53 = { match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: 53 } };

const BINDING =
  'jump {\n\t\t\tip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept\n\t\t\tcounter packets 3 bytes 180 drop\n\t\t}';
const LISTING = [
  'table inet t { # handle 1',
  '\tchain input { # handle 1',
  '\t\ttype filter hook input priority filter; policy accept;',
  '\t\tth dport 53 jump {',
  '\t\t\tip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept',
  '\t\t\tcounter packets 3 bytes 180 drop',
  '\t\t} # handle 6',
  '\t\tupdate @sticky { ip saddr : 0x00000002 } # handle 7',
  '\t}',
  '}',
  '',
].join('\n');

describe('nft -j shapes the model tolerates', () => {
  it('a chain binding printed as a raw string is an opaque part of its rule, with the listing text', () => {
    const m = buildModel(doc(table(), chain(), rule(6, [dport53, BINDING])), LISTING);
    const r = m.tables[0]!.chains[0]!.rules[0]!;
    expect(r.opaque).toEqual(['jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept counter drop }']);
    expect(r.text).toBe('th dport 53 jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept; counter drop; }');
    expect(JSON.parse(r.key)).toEqual([dport53, { opaque: r.opaque![0] }]);
  });
  it("a binding's key ignores its counters (the same rule later is the same rule)", () => {
    const later = BINDING.replace('packets 3 bytes 180', 'packets 900 bytes 54000');
    const a = buildModel(doc(table(), chain(), rule(6, [dport53, BINDING]))).tables[0]!.chains[0]!.rules[0]!;
    const b = buildModel(doc(table(), chain(), rule(6, [dport53, later]))).tables[0]!.chains[0]!.rules[0]!;
    expect(a.key).toBe(b.key);
  });
  it('a map update printed as a raw string is opaque too', () => {
    const m = buildModel(doc(table(), chain(), rule(7, ['update @sticky { ip saddr : 0x00000002 }'])), LISTING);
    const r = m.tables[0]!.chains[0]!.rules[0]!;
    expect(r.opaque).toEqual(['update @sticky { ip saddr : 0x00000002 }']);
    expect(r.text).toBe('update @sticky { ip saddr : 0x00000002 }');
    expect(r.counter).toBeNull();
  });
  it('a rule whose expr is not a list stays in its place as an opaque rule, and is reported', () => {
    const parsed = parseNftJson(
      doc(table(), chain(), rule(5, [{ accept: null }]), rule(6, { weird: true }), rule(7, [{ drop: null }])),
    );
    expect(parsed.rules.map((r) => r.handle)).toEqual([5, 6, 7]);
    expect(parsed.unread).toEqual([expect.objectContaining({ kind: 'rule', table: 't', chain: 'input', handle: 6 })]);
    const m = buildModel(
      doc(table(), chain(), rule(5, [{ accept: null }]), rule(6, { weird: true }), rule(7, [{ drop: null }])),
    );
    expect(m.tables[0]!.chains[0]!.rules[1]!.opaque?.[0]).toMatch(/^unread rule: /);
    expect(m.tables[0]!.unanalysed).toBeUndefined();
  });
  it('a rule without a handle is read as opaque, not a crash', () => {
    const m = buildModel(
      doc(table(), chain(), { rule: { family: 'inet', table: 't', chain: 'input', expr: [{ accept: null }] } }),
    );
    expect(m.tables[0]!.chains[0]!.rules[0]!.opaque?.[0]).toMatch(/^unread rule: /);
  });
  it('a chain of an unknown shape is named on its table', () => {
    const m = buildModel(
      doc(table(), chain('input', { type: 'filter', hook: 'input', prio: 'weird', policy: 'accept' })),
    );
    expect(m.tables[0]!.chains).toEqual([]);
    expect(m.tables[0]!.unanalysed).toEqual([
      expect.stringMatching(/^chain input \(handle 1\): nft -j printed it in a shape/),
    ]);
  });
  it('a table of an unknown family is named on the ruleset', () => {
    const m = buildModel(doc({ table: { family: 'decnet', name: 'x', handle: 3 } }, table()));
    expect(m.tables.map((t) => t.key)).toEqual(['inet t']);
    expect(m.unanalysed).toEqual([expect.stringMatching(/^decnet x: .*its chains and rules are not analysed$/)]);
  });
  it('a set of an unknown shape is named on its table', () => {
    const m = buildModel(
      doc(table(), { set: { family: 'inet', table: 't', name: 's', handle: 2, type: 'ipv4_addr', flags: 'interval' } }),
    );
    expect(m.tables[0]!.sets).toEqual([]);
    expect(m.tables[0]!.unanalysed?.[0]).toMatch(/^set \(handle 2\)|^set/);
  });
  it('an item that is not an object is set aside', () => {
    const parsed = parseNftJson(JSON.stringify({ nftables: [table(), 'odd', 3] }));
    expect(parsed.tables).toHaveLength(1);
    expect(parsed.unread).toHaveLength(2);
  });
  it('objects of other kinds (ct helper, flowtable, synproxy…) are kept by kind and name', () => {
    const m = buildModel(
      doc(
        table(),
        { 'ct helper': { family: 'inet', table: 't', name: 'ftp', handle: 4, type: 'ftp', protocol: 'tcp' } },
        { flowtable: { family: 'inet', table: 't', name: 'f', handle: 5, hook: 'ingress', prio: 0, dev: ['cf0'] } },
      ),
    );
    expect(m.tables[0]!.objects).toEqual([
      { kind: 'ct helper', name: 'ftp' },
      { kind: 'flowtable', name: 'f' },
    ]);
  });
  it('is strict where fwsafe reads: output that is not JSON is an error naming nft', () => {
    expect(() => parseNftJson('{"nftables": [')).toThrow(/nft -j produced invalid JSON/);
  });
});

describe('rules nft prints over several lines', () => {
  it('splitTables joins a chain binding into one rule line; the table text stays verbatim', () => {
    const [t] = splitTables(LISTING);
    expect(t!.rulesByHandle.get(6)).toBe(
      'th dport 53 jump { ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept; counter drop; }',
    );
    expect(t!.rulesByHandle.get(7)).toBe('update @sticky { ip saddr : 0x00000002 }');
    expect(t!.raw).toBe(LISTING.trimEnd());
  });
  it('the text outline reads the binding as one rule with its counter', () => {
    const rules = textModel(LISTING).tables[0]!.chains[0]!.rules;
    expect(rules.map((r) => r.handle)).toEqual([6, 7]);
    expect(rules[0]!.counter).toEqual({ packets: 3, bytes: 180 });
  });
});
