import { describe, expect, it } from 'vitest';
import { elementsOnePerLine } from '../../../src/plan/element-lines.js';

describe('elementsOnePerLine', () => {
  it('one element per line, in a stable natural order, whatever the listing wrapped or ordered', () => {
    const listing =
      'table inet filter {\n\tset big {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.10.1, 10.0.2.1,\n\t\t\t     10.0.1.1 }\n\t}\n\tchain input {\n\t\tip saddr @big drop\n\t}\n}\n';
    expect(elementsOnePerLine(listing)).toBe(
      'table inet filter {\n\tset big {\n\t\ttype ipv4_addr\n\t\telements = {\n\t\t\t10.0.1.1,\n\t\t\t10.0.2.1,\n\t\t\t10.0.10.1,\n\t\t}\n\t}\n\tchain input {\n\t\tip saddr @big drop\n\t}\n}\n',
    );
  });

  it('keeps map verdicts, concatenations, quoted commas and per-element options whole', () => {
    const listing =
      '\t\telements = { 198.51.100.1 . 22 : accept, 10.0.0.0/8 comment "a, b",\n\t\t\t     192.0.2.1 : jump x }\n';
    expect(elementsOnePerLine(listing).split('\n')).toEqual([
      '\t\telements = {',
      '\t\t\t10.0.0.0/8 comment "a, b",',
      '\t\t\t192.0.2.1 : jump x,',
      '\t\t\t198.51.100.1 . 22 : accept,',
      '\t\t}',
      '',
    ]);
  });

  it('leaves text without element lists alone', () => {
    const t = 'table ip t {\n\tchain c {\n\t\ttcp dport { 22, 80 } accept\n\t}\n}\n';
    expect(elementsOnePerLine(t)).toBe(t);
  });
});
