import { describe, expect, it } from 'vitest';
import { walkInput, type Packet } from '../../../src/plan/findings/packet-walk.js';
import { analysisIncomplete, notAnalysed } from '../../../src/plan/findings/not-analysed.js';
import { runAnalysers } from '../../../src/plan/findings/index.js';
import { buildModel, type RulesetModel } from '../../../src/ruleset/model.js';
import type { FindingContext } from '../../../src/plan/findings/context.js';
import { findingContext } from '../../helpers/finding-context.js';

// The packet walk over rules holding parts it cannot analyse (issue 22): uncertain, reported, never a crash.
const doc = (policy: string, ...rules: unknown[][]): string =>
  JSON.stringify({
    nftables: [
      { table: { family: 'inet', name: 't', handle: 1 } },
      {
        chain: { family: 'inet', table: 't', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy },
      },
      ...rules.map((expr, i) => ({ rule: { family: 'inet', table: 't', chain: 'input', handle: i + 2, expr } })),
    ],
  });
const dport = (port: number) => ({
  match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port },
});
const pkt: Packet = {
  family: 'ipv4',
  proto: 'tcp',
  saddr: '198.51.100.1',
  daddr: '198.51.100.2',
  dport: 22,
  ctstate: 'new',
  iifname: null,
};
const BINDING = 'jump {\n\t\t\ttcp dport 22 drop\n\t\t}';
const ctx = (result: RulesetModel, base: RulesetModel = { tables: [] }): FindingContext =>
  findingContext({ base, result, touched: result.tables.map((t) => t.key) });

describe('the walk over opaque parts', () => {
  it('a chain binding the packet may enter makes the verdict uncertain and names the rule', () => {
    const r = walkInput(buildModel(doc('accept', [BINDING])), pkt);
    expect(r.uncertain).toBe(true);
    expect(r.gaps).toEqual([
      {
        location: expect.stringContaining('inet t input'),
        why: expect.stringMatching(/anonymous chain \(a chain binding\)/),
      },
    ]);
  });
  it('a binding behind a match the packet misses is followed past, with no gap', () => {
    const r = walkInput(buildModel(doc('drop', [dport(53), BINDING], [dport(22), { accept: null }])), pkt);
    expect(r).toMatchObject({ verdict: 'accept', uncertain: false, gaps: [] });
  });
  it('a map update has no verdict of its own: the walk goes on to the rules after it', () => {
    const r = walkInput(
      buildModel(doc('drop', ['update @sticky { ip saddr : 0x00000002 }'], [dport(22), { accept: null }])),
      pkt,
    );
    expect(r).toMatchObject({ verdict: 'accept', uncertain: false, gaps: [] });
  });
  it('a map update followed by a verdict in the same rule is uncertain (a full map stops the rule)', () => {
    const r = walkInput(buildModel(doc('accept', ['update @m { ip saddr : 0x1 }', { drop: null }])), pkt);
    expect(r.uncertain).toBe(true);
    expect(r.gaps[0]!.why).toMatch(/updates a map/);
  });
  it('an unknown raw statement may decide: uncertain', () => {
    expect(walkInput(buildModel(doc('accept', ['frobnicate 7'])), pkt).gaps[0]!.why).toMatch(/raw text/);
  });
  it('a table with an unread chain makes every walk through it uncertain', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 't', handle: 1 } },
        { chain: { family: 'inet', table: 't', name: 'input', handle: 1, hook: 7 } },
      ],
    });
    const r = walkInput(buildModel(text), pkt);
    expect(r.uncertain).toBe(true);
    expect(r.gaps[0]!.location).toBe('inet t');
  });
});

describe('findings about what could not be analysed', () => {
  it('RULE_NOT_ANALYSED names the rule on the SSH path and why, as a warning', () => {
    const fs = notAnalysed(ctx(buildModel(doc('accept', [BINDING]))));
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      code: 'RULE_NOT_ANALYSED',
      severity: 'warning',
      location: expect.stringContaining('inet t input'),
    });
    expect(fs[0]!.message).toMatch(/new SSH logins to port 22 and established SSH sessions on port 22/);
  });
  it('nothing is said about opaque rules the SSH packets never reach', () => {
    expect(notAnalysed(ctx(buildModel(doc('accept', [dport(53), BINDING]))))).toEqual([]);
  });
  it('ANALYSIS_INCOMPLETE names each unread rule and object by table', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 't', handle: 1 } },
        {
          chain: {
            family: 'inet',
            table: 't',
            name: 'input',
            handle: 1,
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'accept',
          },
        },
        { rule: { family: 'inet', table: 't', chain: 'input', handle: 4, expr: 'not a list' } },
        { set: { family: 'inet', table: 't', name: 's', handle: 5, type: 'ipv4_addr', elem: 'odd' } },
      ],
    });
    const fs = analysisIncomplete(ctx(buildModel(text)));
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ code: 'ANALYSIS_INCOMPLETE', severity: 'warning', location: 'table inet t' });
    expect(fs[0]!.message).toMatch(/set s \(handle 5\)/);
    expect(fs[0]!.message).toMatch(/chain input: rule `handle 4`/);
  });
  it('every analyser runs over a model with opaque parts without throwing', () => {
    const m = buildModel(
      doc('drop', [BINDING], ['update @m { ip saddr : 0x1 }'], ['frobnicate'], [dport(22), { accept: null }]),
    );
    expect(() => runAnalysers(ctx(m))).not.toThrow();
  });
});

describe('statements the walk cannot evaluate are uncertain, never a sure match (issue 22)', () => {
  const cases: [string, unknown][] = [
    [
      'a meter',
      {
        meter: {
          key: { payload: { protocol: 'ip', field: 'saddr' } },
          stmt: { limit: { rate: 10, per: 'minute', inv: true } },
          size: 1024,
          name: 'm',
        },
      },
    ],
    ['an inline quota', { quota: { val: 100, val_unit: 'mbytes', inv: true } }],
    ['a named quota', { quota: 'guests' }],
    ['a named limit', { limit: 'bulk' }],
    ['a ct count', { 'ct count': { val: 20, inv: true } }],
  ];
  for (const [name, stmt] of cases) {
    it(`${name} before a drop makes it a probable drop, not a certain one`, () => {
      const r = walkInput(buildModel(doc('accept', [dport(22), stmt, { drop: null }])), pkt);
      expect(r).toMatchObject({ verdict: 'accept', uncertain: true });
    });
  }
  it('passive statements (counter, log, notrack, ct helper set, continue) do not stop a rule', () => {
    const r = walkInput(
      buildModel(
        doc(
          'accept',
          [dport(22), { counter: null }, { log: null }, { notrack: null }, { 'ct helper': 'ftp' }, { continue: null }],
          [dport(22), { drop: null }],
        ),
      ),
      pkt,
    );
    expect(r).toMatchObject({ verdict: 'drop', uncertain: false });
  });
  it('a dormant table is not on any hook (nft 1.0.6 prints its JSON flags wrongly: the listing tells)', () => {
    const json = doc('drop');
    const listing =
      'table inet t { # handle 1\n\tflags dormant\n\tchain input { # handle 1\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n';
    expect(walkInput(buildModel(json, listing), pkt)).toMatchObject({ verdict: 'accept' });
    expect(walkInput(buildModel(json), pkt)).toMatchObject({ verdict: 'drop' });
  });
});
