import { describe, expect, it } from 'vitest';
import { parseHeadOutput, procLines, procNumber } from '../../../src/backends/proc.js';

describe('parseHeadOutput (one `head -v` over several /proc files)', () => {
  it('splits by file; missing files are absent; empty files are empty', () => {
    const files = [
      '/proc/net/ip_tables_names',
      '/proc/net/ip6_tables_names',
      '/proc/sys/net/netfilter/nf_conntrack_count',
      '/proc/sys/net/netfilter/nf_conntrack_max',
    ];
    const text =
      '==> /proc/net/ip_tables_names <==\nfilter\nnat\n\n==> /proc/net/ip6_tables_names <==\n\n==> /proc/sys/net/netfilter/nf_conntrack_count <==\n7\n';
    const out = parseHeadOutput(text, files);
    expect(out.get(files[0]!)).toBe('filter\nnat');
    expect(out.get(files[1]!)).toBe('');
    expect(procNumber(out.get(files[2]!))).toBe(7);
    expect(out.has(files[3]!)).toBe(false);
    expect(procNumber(out.get(files[3]!))).toBeNull();
    expect(procLines(out.get(files[0]!))).toEqual(['filter', 'nat']);
    expect(parseHeadOutput('', files).size).toBe(0);
  });
});
