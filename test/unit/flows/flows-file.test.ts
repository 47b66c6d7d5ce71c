import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlows, readFlowsFile } from '../../../src/flows/flows-file.js';
import { FwsafeError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fwsafe-flows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flows file', () => {
  it('reads the documented examples', () => {
    const flows = parseFlows(
      [
        '# monitoring',
        'tcp from 10.0.0.0/24 to :9100 name=prometheus',
        'udp to 10.0.0.2:53 name=dns',
        'tcp to 10.0.0.5:2049 name=nfs  # storage',
        '',
        'icmp from 192.0.2.0/24 to 192.0.2.1 in',
        'tcp from 2001:db8::/32 to [2001:db8::1]:443 forward',
      ].join('\n'),
      'flows',
    );
    expect(flows).toEqual([
      { proto: 'tcp', from: '10.0.0.0/24', to: null, port: 9100, name: 'prometheus', direction: null, line: 2 },
      { proto: 'udp', from: null, to: '10.0.0.2', port: 53, name: 'dns', direction: null, line: 3 },
      { proto: 'tcp', from: null, to: '10.0.0.5', port: 2049, name: 'nfs', direction: null, line: 4 },
      { proto: 'icmp', from: '192.0.2.0/24', to: '192.0.2.1', port: null, name: null, direction: 'in', line: 6 },
      { proto: 'tcp', from: '2001:db8::/32', to: '2001:db8::1', port: 443, name: null, direction: 'forward', line: 7 },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown protocol', 'sctp to :80', /line 1: word 1 must be a protocol/],
    ['no destination', 'tcp from 10.0.0.0/8', /needs "to"/],
    ['port out of range', 'tcp to :70000', /port must be 1–65535/],
    ['port zero', 'udp to 10.0.0.1:0', /port must be 1–65535/],
    ['port not a number', 'tcp to :http', /port must be 1–65535/],
    ['bad prefix', 'tcp from 10.0.0.0/33 to :22', /not an IPv4\/IPv6 address or prefix/],
    ['not an address', 'tcp from example.com to :22', /not an IPv4\/IPv6 address or prefix/],
    ['a port on ICMP', 'icmp to 10.0.0.1:7', /icmp has no ports/],
    ['TCP without a port', 'tcp to 10.0.0.1', /tcp needs a port/],
    ['mixed families', 'tcp from 10.0.0.0/8 to [2001:db8::1]:22', /different address families/],
    ['icmp with IPv6', 'icmp to 2001:db8::1', /does not go with that address family/],
    ['unknown word', 'tcp to :22 via eth0', /word 4 is not understood/],
    ['duplicate name', 'tcp to :22 name=ssh\ntcp to :2222 name=ssh', /line 2: the name is already used on line 1/],
    ['bad name', 'tcp to :22 name=a;b', /a name is letters/],
    ['from without a value', 'tcp to :22 from', /"from" needs an address/],
    ['two directions', 'tcp to :22 in out', /direction is given twice/],
  ];
  it.each(bad)('refuses %s with FLOWS_FILE_INVALID naming the line', (_name, text, message) => {
    try {
      parseFlows(text, 'flows');
      expect.fail('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(FwsafeError);
      expect((error as FwsafeError).code).toBe('FLOWS_FILE_INVALID');
      expect((error as FwsafeError).exitCode).toBe(9);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('never prints a line of the file (a hostile --flows /etc/shadow)', () => {
    const path = join(dir, 'shadow');
    writeFileSync(path, 'root:$6$saltsalt$hashhash:19000:0:99999:7:::\n');
    expect(() => readFlowsFile(path)).toThrow(/line 1: word 1 must be a protocol/);
    try {
      readFlowsFile(path);
    } catch (error) {
      expect(JSON.stringify((error as FwsafeError).toJSON())).not.toContain('saltsalt');
    }
  });

  it('a missing default file is no flows; a missing --flows file, a directory or a binary file is an error', () => {
    expect(readFlowsFile(null).flows.length).toBeGreaterThanOrEqual(0);
    expect(() => readFlowsFile(join(dir, 'nope'))).toThrow(/Cannot read the flows file/);
    expect(() => readFlowsFile(dir)).toThrow(/not a regular file/);
    const binary = join(dir, 'bin');
    writeFileSync(binary, Buffer.from([0x74, 0x63, 0x70, 0, 1]));
    expect(() => readFlowsFile(binary)).toThrow(/NUL bytes/);
  });
});
