import { describe, expect, it } from 'vitest';
import { walkInput, type Packet } from '../../../../src/plan/findings/packet-walk.js';
import type { RulesetModel } from '../../../../src/ruleset/model.js';

// Builds a model from nft-JSON-style rule expressions (what `nft -j` gives).
function model(
  policy: string,
  rules: { expr: unknown[]; text: string }[],
  sets: { name: string; elements: unknown[] }[] = [],
): RulesetModel {
  return {
    tables: [
      {
        family: 'inet',
        name: 'f',
        key: 'inet f',
        text: '',
        hasXt: false,
        objects: [],
        sets: sets.map((s) => ({
          name: s.name,
          kind: 'set' as const,
          type: 'ipv4_addr',
          flags: [],
          elements: s.elements.map((e) => JSON.stringify(e)),
        })),
        chains: [
          {
            name: 'input',
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy,
            dev: null,
            rules: rules.map((r, i) => ({
              handle: i + 1,
              key: JSON.stringify(r.expr),
              text: r.text,
              counter: null,
              xt: false,
              comment: null,
            })),
          },
          {
            name: 'deny',
            type: null,
            hook: null,
            prio: null,
            policy: null,
            dev: null,
            rules: [
              {
                handle: 99,
                key: JSON.stringify([{ drop: null }]),
                text: 'drop',
                counter: null,
                xt: false,
                comment: null,
              },
            ],
          },
        ],
      },
    ],
  };
}
const dport = (port: unknown) => ({
  match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port },
});
const saddr = (right: unknown) => ({
  match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right },
});
const ctState = (right: unknown) => ({ match: { op: 'in', left: { ct: { key: 'state' } }, right } });
const pkt = (over: Partial<Packet> = {}): Packet => ({
  family: 'ipv4',
  proto: 'tcp',
  saddr: '198.51.100.1',
  daddr: '198.51.100.2',
  dport: 22,
  ctstate: 'new',
  iifname: null,
  ...over,
});

describe('walkInput', () => {
  it('policy drop without an ssh accept drops, naming the policy', () => {
    const r = walkInput(model('drop', [{ expr: [dport(80), { accept: null }], text: 'tcp dport 80 accept' }]), pkt());
    expect(r).toMatchObject({ verdict: 'drop', decidedBy: 'inet f input: policy drop', uncertain: false });
  });
  it('an ssh accept in an anonymous set accepts', () => {
    const r = walkInput(
      model('drop', [{ expr: [dport({ set: [22, 443] }), { accept: null }], text: 'tcp dport { 22, 443 } accept' }]),
      pkt(),
    );
    expect(r.verdict).toBe('accept');
    expect(r.decidedBy).toContain('tcp dport { 22, 443 } accept');
  });
  it('a source allow-list that misses the admin drops; one that includes them accepts', () => {
    const rules = [
      {
        expr: [saddr({ prefix: { addr: '10.0.0.0', len: 8 } }), dport(22), { accept: null }],
        text: 'ip saddr 10.0.0.0/8 tcp dport 22 accept',
      },
    ];
    expect(walkInput(model('drop', rules), pkt()).verdict).toBe('drop');
    expect(walkInput(model('drop', rules), pkt({ saddr: '10.1.2.3' })).verdict).toBe('accept');
  });
  it('a named set lookup is resolved from the set elements', () => {
    const rules = [
      { expr: [saddr('@admins'), dport(22), { accept: null }], text: 'ip saddr @admins tcp dport 22 accept' },
    ];
    const sets = [{ name: 'admins', elements: ['198.51.100.1'] }];
    expect(walkInput(model('drop', rules, sets), pkt()).verdict).toBe('accept');
    expect(walkInput(model('drop', rules, sets), pkt({ saddr: '198.51.100.9' })).verdict).toBe('drop');
  });
  it('established traffic needs a ct state accept; a new login does not match it', () => {
    const rules = [
      { expr: [ctState(['established', 'related']), { accept: null }], text: 'ct state established,related accept' },
    ];
    expect(walkInput(model('drop', rules), pkt({ ctstate: 'established' })).verdict).toBe('accept');
    expect(walkInput(model('drop', rules), pkt({ ctstate: 'new' })).verdict).toBe('drop');
  });
  it('follows a jump into a chain that drops', () => {
    const rules = [{ expr: [dport(22), { jump: { target: 'deny' } }], text: 'tcp dport 22 jump deny' }];
    const r = walkInput(model('accept', rules), pkt());
    expect(r).toMatchObject({ verdict: 'drop', decidedBy: 'inet f deny: drop' });
  });
  it('an IPv4-only match does not apply to IPv6 packets', () => {
    const rules = [
      {
        expr: [saddr({ prefix: { addr: '0.0.0.0', len: 0 } }), dport(22), { accept: null }],
        text: 'ip saddr 0.0.0.0/0 tcp dport 22 accept',
      },
    ];
    expect(walkInput(model('drop', rules), pkt({ family: 'ipv6', saddr: '2001:db8::1' })).verdict).toBe('drop');
  });
  it('says when it cannot tell (an expression it does not model)', () => {
    const rules = [
      {
        expr: [{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 0 } }, { accept: null }],
        text: 'meta skuid 0 accept',
      },
    ];
    expect(walkInput(model('drop', rules), pkt())).toMatchObject({ verdict: 'drop', uncertain: true });
  });
});

describe('walkInput: rate limits', () => {
  const limit = (inv: boolean) => ({ limit: { rate: 30, burst: 5, per: 'minute', inv } });
  it('one login is under `limit rate over X drop` (no match) and within `limit rate X accept` (match)', () => {
    expect(
      walkInput(
        model('accept', [
          { expr: [dport(22), limit(true), { drop: null }], text: 'tcp dport 22 limit rate over 30/minute drop' },
        ]),
        pkt(),
      ).verdict,
    ).toBe('accept');
    expect(
      walkInput(
        model('drop', [
          { expr: [dport(22), limit(false), { accept: null }], text: 'tcp dport 22 limit rate 30/minute accept' },
        ]),
        pkt(),
      ).verdict,
    ).toBe('accept');
  });
});

describe('walkInput: verdict maps', () => {
  const ctVmap = {
    vmap: {
      key: { ct: { key: 'state' } },
      data: {
        set: [
          ['invalid', { drop: null }],
          ['established', { accept: null }],
          ['related', { accept: null }],
        ],
      },
    },
  };
  it('`ct state vmap { established : accept, … }` accepts the established session and lets a new login go on', () => {
    const m = model('drop', [
      { expr: [ctVmap], text: 'ct state vmap { invalid : drop, established : accept, related : accept }' },
      { expr: [dport(22), { accept: null }], text: 'tcp dport 22 accept' },
    ]);
    expect(walkInput(m, pkt({ ctstate: 'established' }))).toMatchObject({
      verdict: 'accept',
      uncertain: false,
      decidedBy: expect.stringContaining('ct state vmap'),
    });
    expect(walkInput(m, pkt())).toMatchObject({
      verdict: 'accept',
      uncertain: false,
      decidedBy: 'inet f input: tcp dport 22 accept',
    });
  });
  it('a named verdict map, and a jump through a vmap', () => {
    const byPort = { vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@ports' } };
    const m = model('accept', [{ expr: [byPort], text: 'tcp dport vmap @ports' }]);
    m.tables[0]!.sets.push({
      name: 'ports',
      kind: 'map',
      type: 'inet_service',
      flags: [],
      elements: [JSON.stringify([22, { jump: { target: 'deny' } }]), JSON.stringify([80, { accept: null }])],
    });
    expect(walkInput(m, pkt())).toMatchObject({ verdict: 'drop', uncertain: false, decidedBy: 'inet f deny: drop' });
    expect(walkInput(m, pkt({ dport: 443 }))).toMatchObject({ verdict: 'accept', uncertain: false });
  });
  it('a vmap on a key it does not model, or a queue, makes the verdict uncertain, never a silent pass', () => {
    const markVmap = { vmap: { key: { meta: { key: 'mark' } }, data: { set: [[1, { accept: null }]] } } };
    expect(
      walkInput(model('drop', [{ expr: [markVmap], text: 'meta mark vmap { 0x1 : accept }' }]), pkt()),
    ).toMatchObject({ verdict: 'drop', uncertain: true });
    expect(
      walkInput(model('drop', [{ expr: [dport(22), { queue: { num: 0 } }], text: 'tcp dport 22 queue num 0' }]), pkt()),
    ).toMatchObject({ verdict: 'drop', uncertain: true });
  });
});

describe('walkInput: tcp flags', () => {
  const flags = (right: unknown) => ({
    match: { op: 'in', left: { payload: { protocol: 'tcp', field: 'flags' } }, right },
  });
  it('`tcp flags syn tcp dport 22 accept` accepts a new login (a SYN) but not an established session', () => {
    const m = model('drop', [
      { expr: [dport(22), flags('syn'), { accept: null }], text: 'tcp dport 22 tcp flags syn accept' },
    ]);
    expect(walkInput(m, pkt())).toMatchObject({ verdict: 'accept', uncertain: false });
    expect(walkInput(m, pkt({ ctstate: 'established' }))).toMatchObject({ verdict: 'drop', uncertain: false });
    expect(
      walkInput(model('drop', [{ expr: [dport(22), flags({ '&': [] }), { accept: null }], text: 'x' }]), pkt()),
    ).toMatchObject({ verdict: 'drop', uncertain: true });
  });
});
