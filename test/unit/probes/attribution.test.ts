import { describe, expect, it } from 'vitest';
import { decidingRule, replyDrop, rewriteOf } from '../../../src/probes/trace.js';
import { whatHappened } from '../../../src/probes/attribution.js';
import type { ProbeResult } from '../../../src/probes/run-probes.js';
import { walkInput } from '../../../src/plan/findings/packet-walk.js';
import { buildModel } from '../../../src/ruleset/model.js';

// Trace lines as `nft monitor trace` printed them here for the stateless-NAT corpus file (issue 22).
const SYN =
  'iif "eth0" ip saddr 198.51.100.77 ip daddr 203.0.113.1 ip protocol tcp tcp sport 37631 tcp dport 22 tcp flags == syn tcp window 64240';
const STATELESS = [
  `trace id 1b12da4f inet fwsafe_trace pre packet: ${SYN}`,
  'trace id 1b12da4f inet fwsafe_trace pre rule meta nftrace set 1 (verdict continue)',
  'trace id 1b12da4f inet fwsafe_trace pre policy accept',
  `trace id 1b12da4f ip conf_stateless_numgen prerouting packet: ${SYN}`,
  'trace id 1b12da4f ip conf_stateless_numgen prerouting unknown rule handle 2 (verdict continue)',
  'trace id 1b12da4f ip conf_stateless_numgen prerouting unknown rule handle 4 (verdict continue)',
  'trace id 1b12da4f ip conf_stateless_numgen prerouting policy accept',
].join('\n');
const NUMGEN = 'ip daddr 203.0.113.1 tcp dport 22 ip daddr set numgen inc mod 2 map { 0 : 192.0.2.30, 1 : 192.0.2.31 }';
const ruleText = (_f: string, _t: string, h: number): string | undefined =>
  h === 2 ? 'notrack' : h === 4 ? NUMGEN : undefined;
const result = (over: Partial<ProbeResult>): ProbeResult => ({
  kind: 'new-login',
  description: 'a new SSH login',
  expected: 'allowed',
  observed: 'dropped',
  pass: false,
  decidedBy: null,
  note: null,
  ...over,
});

describe('rewriteOf: the destination a rule rewrites to, as written', () => {
  it.each([
    [NUMGEN, 'numgen inc mod 2 map { 0 : 192.0.2.30, 1 : 192.0.2.31 }'],
    ['tcp dport 22 dnat to 192.0.2.40', '192.0.2.40'],
    ['tcp dport 8443 dnat ip to 192.0.2.40:443', '192.0.2.40:443'],
    ['ip daddr 198.51.100.5 notrack ip daddr set 192.0.2.5', '192.0.2.5'],
    ['tcp dport 3128 redirect to :8080', ':8080'],
    ['meta l4proto tcp tcp dport 80 tproxy ip to 127.0.0.1:3129 meta mark set 0x00000001 accept', '127.0.0.1:3129'],
    ['tcp dport 22 redirect', 'a local port'],
    ['udp dport 5353 udp dport set 53', 'port 53'],
  ])('%s', (rule, towards) => expect(rewriteOf(rule)).toBe(towards));
  it('rules that do not move the packet have none', () => {
    for (const rule of [
      'tcp dport 22 accept',
      'ip saddr set 198.51.100.5',
      'meta mark set 0x1',
      'ct state established accept',
    ])
      expect(rewriteOf(rule)).toBeNull();
  });
});

describe('decidingRule and whatHappened', () => {
  it('stateless NAT by numgen: rewritten towards the map, not "decided by … policy accept"', () => {
    const t = decidingRule(STATELESS, '198.51.100.77', 22, 'syn', ruleText)!;
    expect(t).toMatchObject({ verdict: 'accept', decidedBy: 'ip conf_stateless_numgen prerouting: policy accept' });
    expect(t.rewrite).toEqual({
      by: `ip conf_stateless_numgen prerouting: ${NUMGEN}`,
      towards: 'numgen inc mod 2 map { 0 : 192.0.2.30, 1 : 192.0.2.31 }',
    });
    const said = whatHappened(result({ decidedBy: t.decidedBy, verdict: t.verdict, rewrite: t.rewrite }));
    expect(said).toBe(
      `rewritten towards numgen inc mod 2 map { 0 : 192.0.2.30, 1 : 192.0.2.31 } by ip conf_stateless_numgen prerouting: ${NUMGEN}, so it was no longer addressed to this host and routing did not deliver it`,
    );
  });
  it('dropped by a rule or a policy; rejected by a rule', () => {
    expect(whatHappened(result({ decidedBy: 'inet f input: tcp dport 22 drop', verdict: 'drop' }))).toBe(
      'dropped by inet f input: tcp dport 22 drop',
    );
    expect(whatHappened(result({ decidedBy: 'inet f input: policy drop', verdict: 'drop' }))).toBe(
      'dropped by inet f input: policy drop',
    );
    expect(
      whatHappened(result({ observed: 'rejected', decidedBy: 'inet f input: tcp dport 22 reject', verdict: 'drop' })),
    ).toBe('rejected by inet f input: tcp dport 22 reject');
  });
  it('accepted by the rules but never delivered: a routing reason', () => {
    expect(whatHappened(result({ decidedBy: 'inet f input: policy accept', verdict: 'accept' }))).toMatch(
      /^not delivered for a routing reason: the rules accepted it \(inet f input: policy accept\)/,
    );
    expect(whatHappened(result({}))).toMatch(/^dropped before any traced rule saw it/);
  });
  it('a must-deny flow that got through says who allowed it', () => {
    expect(
      whatHappened(
        result({
          kind: 'must-deny',
          expected: 'denied',
          observed: 'allowed',
          decidedBy: 'inet f input: tcp dport 23 accept',
        }),
      ),
    ).toBe('allowed, decided by inet f input: tcp dport 23 accept');
  });
});

describe('the walk never throws on expressions printed raw', () => {
  it('a match whose left side is a raw string is unknown', () => {
    const doc = JSON.stringify({
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
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'input',
            handle: 2,
            expr: [{ match: { op: '==', left: 'something raw', right: 1 } }, { drop: null }],
          },
        },
      ],
    });
    const r = walkInput(buildModel(doc), {
      family: 'ipv4',
      proto: 'tcp',
      saddr: null,
      daddr: null,
      dport: 22,
      ctstate: 'new',
      iifname: null,
    });
    expect(r).toMatchObject({ verdict: 'accept', uncertain: true });
  });
});

describe('replies dropped by a rule that matches both directions (docker DOCKER-USER without --ctdir ORIGINAL)', () => {
  const REPLY =
    'iif "docker0" oif "eth0" ip saddr 172.17.0.2 ip daddr 10.214.0.2 ip protocol tcp tcp sport 80 tcp dport 40312 tcp flags == 0x12';
  const OUT =
    'iif "eth0" oif "docker0" ip saddr 10.214.0.2 ip daddr 172.17.0.2 ip protocol tcp tcp sport 40312 tcp dport 80 tcp flags == syn';
  const TRACE = [
    `trace id aa01 ip filter FORWARD packet: ${OUT}`,
    'trace id aa01 ip filter DOCKER rule ip daddr 172.17.0.2 oifname "docker0" tcp dport 80 counter packets 1 bytes 60 accept (verdict accept)',
    `trace id bb02 ip filter FORWARD packet: ${REPLY}`,
    'trace id bb02 ip filter FORWARD rule counter packets 1 bytes 60 jump DOCKER-USER (verdict jump DOCKER-USER)',
    'trace id bb02 ip filter DOCKER-USER rule ip saddr != 10.214.0.2 ct original proto-dst 8080 counter packets 1 bytes 60 drop (verdict drop)',
  ].join('\n');

  it('names the rule that dropped the backend’s reply to the probe source', () => {
    expect(replyDrop(TRACE, '172.17.0.2', '10.214.0.2', 80)).toMatchObject({
      decidedBy: 'ip filter DOCKER-USER: ip saddr != 10.214.0.2 ct original proto-dst 8080 counter drop',
      verdict: 'drop',
    });
  });

  it('nothing when the replies were accepted, or came from elsewhere', () => {
    expect(
      replyDrop(TRACE.replace('drop (verdict drop)', 'accept (verdict accept)'), '172.17.0.2', '10.214.0.2', 80),
    ).toBeNull();
    expect(replyDrop(TRACE, '172.17.0.3', '10.214.0.2', 80)).toBeNull();
    expect(replyDrop(TRACE, '172.17.0.2', '10.214.0.2', 443)).toBeNull();
  });
});
