import { describe, expect, it } from 'vitest';
import { mergeProbeFindings } from '../../../src/probes/findings.js';
import { adminMode, checkAdminAddresses, loginCandidates, probeAdmins, STAND_IN } from '../../../src/probes/admins.js';
import type { ProbeResult } from '../../../src/probes/run-probes.js';
import type { FindingT } from '../../../src/plan/schema.js';

const login = (over: Partial<ProbeResult>): ProbeResult => ({
  kind: 'new-login',
  description: 'a new SSH login 192.0.2.10 → 203.0.113.1:22',
  expected: 'allowed',
  observed: 'dropped',
  before: 'allowed',
  pass: false,
  worse: true,
  decidedBy: 'inet filter input policy drop',
  note: null,
  ...over,
});
const analysis: FindingT = {
  code: 'SSH_NEW_LOGIN_BLOCKED',
  severity: 'error',
  message:
    'After this change a new SSH login to port 22 from 192.0.2.10 would be dropped, decided by inet filter input policy drop.',
  fix: 'Accept it.',
  location: 'inet filter input policy drop',
};

describe('one finding per problem, before compared with after', () => {
  it('a probe that confirms the analysis: one finding, marked analysis+probe, blocking', () => {
    const out = mergeProbeFindings([analysis], [login({})]);
    expect(out.map((f) => `${f.severity} ${f.code} ${f.evidence}`)).toEqual([
      'error SSH_NEW_LOGIN_BLOCKED analysis+probe',
    ]);
    expect(out[0]!.message).toMatch(/Confirmed by real packets/);
  });

  it('a login already dropped today is not blocking (not this change)', () => {
    const out = mergeProbeFindings([], [login({ before: 'dropped', worse: false })]);
    expect(out.map((f) => `${f.severity} ${f.code}`)).toEqual(['info PROBE_NEW_LOGIN_BLOCKED']);
    expect(out[0]!.message).toMatch(/already so today/);
  });

  it('probes that pass drop the analysis warnings about the same flow', () => {
    const warning = { ...analysis, severity: 'warning' as const, code: 'SSH_SESSION_CUT' };
    const session = login({ kind: 'session', observed: 'allowed', pass: true, worse: false });
    expect(mergeProbeFindings([warning], [session])).toEqual([]);
  });

  it('a failing must-deny blocks', () => {
    const out = mergeProbeFindings(
      [],
      [login({ kind: 'must-deny', expected: 'denied', observed: 'allowed', before: null })],
    );
    expect(out.map((f) => `${f.severity} ${f.code}`)).toEqual(['error PROBE_MUST_DENY_FAILED']);
  });
});

describe('whose logins are probed', () => {
  it('the session, else the addresses given, else every candidate the ruleset names plus the stand-ins', () => {
    const ssh = { client: '192.0.2.10', clientPort: 5000, server: '203.0.113.1', serverPort: 22 };
    expect(probeAdmins(ssh, ['192.0.2.99'], '')).toEqual({ mode: 'session', addresses: ['192.0.2.10'] });
    expect(probeAdmins(null, ['192.0.2.99'], '')).toEqual({ mode: 'given', addresses: ['192.0.2.99'] });
    const base =
      'set admins { type ipv4_addr; elements = { 192.0.2.10, 10.1.0.0/16 } }\nip6 saddr 2001:db8:5::/64 accept\nip daddr 127.0.0.1 accept';
    const any = probeAdmins(null, [], base);
    expect(any.mode).toBe('any');
    expect(any.addresses).toEqual([STAND_IN.v4, STAND_IN.v6, '192.0.2.10', '10.1.0.1', '2001:db8:5::1']);
    // The mode alone (a plan without probes), without reading the ruleset: the same as probeAdmins'.
    expect([adminMode(ssh, ['192.0.2.99']), adminMode(null, ['192.0.2.99']), adminMode(null, [])]).toEqual([
      'session',
      'given',
      'any',
    ]);
  });

  it('an IPv4 session where IPv6 is in use: IPv6 candidates are probed as "any address that can log in today"', () => {
    const ssh = { client: '192.0.2.10', clientPort: 5000, server: '203.0.113.1', serverPort: 22 };
    expect(probeAdmins(ssh, [], 'ip6 saddr 2001:db8:5::/64 accept', true)).toEqual({
      mode: 'session',
      addresses: ['192.0.2.10'],
      otherFamily: [STAND_IN.v6, '2001:db8:5::1'],
    });
    const v6lost = [login({ description: 'a new SSH login 2001:db8:5::1 → 2001:db8:1::1:22', anyCandidate: true })];
    const v4ok = login({ observed: 'allowed', pass: true, worse: false, anyCandidate: false });
    expect(
      mergeProbeFindings([], [v4ok, ...v6lost], { mode: 'session', ipv6InUse: true }).map(
        (f) => `${f.severity} ${f.code}`,
      ),
    ).toEqual(['error PROBE_NEW_LOGIN_BLOCKED']);
    const v6kept = login({
      description: 'a new SSH login 2001:db8:77::77 → 2001:db8:1::1:22',
      observed: 'allowed',
      pass: true,
      worse: false,
      anyCandidate: true,
    });
    expect(
      mergeProbeFindings([], [v4ok, ...v6lost, v6kept], { mode: 'session', ipv6InUse: true }).map(
        (f) => `${f.severity} ${f.code}`,
      ),
    ).toEqual(['warning PROBE_NEW_LOGIN_BLOCKED']);
  });

  it('--admin-address takes addresses only', () => {
    expect(checkAdminAddresses([' 192.0.2.1', '2001:db8::1', '192.0.2.1'])).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(() => checkAdminAddresses(['admin.example'])).toThrow(/not an IPv4 or IPv6 address/);
  });

  it('loginCandidates reads whole addresses: ::ffff:192.0.2.1 is 192.0.2.1, not ::ffff:192', () => {
    const text =
      'ip6 saddr ::ffff:192.0.2.1 accept\nip saddr 10.0.0.0/8 accept\nip6 saddr 2001:db8::/32 accept comment "from 203.0.113.9"\nip saddr 198.18.0.1-198.18.0.9 dnat to 192.0.2.99';
    expect(loginCandidates(text)).toEqual([
      STAND_IN.v4,
      STAND_IN.v6,
      '192.0.2.1',
      '10.0.0.1',
      '198.18.0.1',
      '198.18.0.9',
      '2001:db8::1',
    ]);
  });

  it('loginCandidates is bounded', () => {
    const many = Array.from({ length: 50 }, (_, i) => `10.0.${i}.5`).join(', ');
    expect(loginCandidates(many).length).toBe(18);
  });
});
