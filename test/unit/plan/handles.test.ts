import { describe, expect, it } from 'vitest';
import { hasHandleReferences, parseHandles, translateHandles } from '../../../src/plan/handles.js';

// A live table with history (rules deleted and added: gaps), and the same text reloaded fresh.
const LIVE = `table inet filter { # handle 7
\tset allow { # handle 9
\t\ttype ipv4_addr
\t\telements = { 198.51.100.1 }
\t}

\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 2 accept # handle 3
\t\ttcp dport 3 accept comment "x # handle 99" # handle 4
\t\ttcp dport 4 accept # handle 12
\t}

\tchain other { # handle 10
\t\tip saddr @allow accept # handle 11
\t}
}
table ip nat { # handle 8
\tchain post { # handle 1
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tmasquerade # handle 5
\t}
}
`;
const SCRATCH = `table inet filter { # handle 1
\tset allow { # handle 1
\t\ttype ipv4_addr
\t\telements = { 198.51.100.1 }
\t}

\tchain input { # handle 2
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 2 accept # handle 4
\t\ttcp dport 3 accept comment "x # handle 99" # handle 5
\t\ttcp dport 4 accept # handle 6
\t}

\tchain other { # handle 3
\t\tip saddr @allow accept # handle 7
\t}
}
table ip nat { # handle 2
\tchain post { # handle 1
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tmasquerade # handle 2
\t}
}
`;

describe('handles', () => {
  it('parses rule handles per chain in order, named objects and the table', () => {
    const h = parseHandles(LIVE).get('inet filter')!;
    expect(h.table).toBe(7);
    expect(h.rules.get('input')).toEqual([3, 4, 12]);
    expect(h.objects.get('chain other')).toBe(10);
    expect(h.objects.get('set allow')).toBe(9);
    expect(parseHandles(LIVE).get('ip nat')!.rules.get('post')).toEqual([5]);
  });

  it('translates live handles to the scratch handles of the same rules and objects', () => {
    const p = [
      'delete rule inet filter input handle 3',
      'replace rule inet filter input handle 12 tcp dport 5 accept',
      'insert rule inet filter input position 4 tcp dport 1 accept',
      'add rule inet filter other handle 11 drop # handle 3 stays in the comment',
      'delete rule nat post handle 5',
      'delete chain inet filter handle 10',
      'delete set inet filter handle 9',
      'delete table inet handle 7',
      'add rule inet filter input index 0 tcp dport 9 accept',
    ].join('\n');
    const t = translateHandles(LIVE, SCRATCH, p);
    expect(t.text.split('\n')).toEqual([
      'delete rule inet filter input handle 4',
      'replace rule inet filter input handle 6 tcp dport 5 accept',
      'insert rule inet filter input position 5 tcp dport 1 accept',
      'add rule inet filter other handle 7 drop # handle 3 stays in the comment',
      'delete rule nat post handle 2',
      'delete chain inet filter handle 3',
      'delete set inet filter handle 1',
      'delete table inet handle 1',
      'add rule inet filter input index 0 tcp dport 9 accept',
    ]);
    expect(t.rewrites.map((r) => r.original)).toEqual(p.split('\n').slice(0, 8));
  });

  it('a handle that names nothing live names nothing in scratch either (nft refuses it as live would)', () => {
    const t = translateHandles(LIVE, SCRATCH, 'delete rule inet filter input handle 6\n');
    expect(t.text).toBe('delete rule inet filter input handle 4000000006\n');
    expect(t.rewrites).toEqual([
      {
        original: 'delete rule inet filter input handle 6',
        rewritten: 'delete rule inet filter input handle 4000000006',
      },
    ]);
  });

  it('leaves tables it does not know (created by the proposal) and proposals without handles alone', () => {
    expect(translateHandles(LIVE, SCRATCH, 'delete rule inet mine c handle 3\n').text).toBe(
      'delete rule inet mine c handle 3\n',
    );
    const plain = 'table inet filter {\n chain input { tcp dport 22 accept; }\n}\n';
    expect(hasHandleReferences(plain)).toBe(false);
    expect(translateHandles(LIVE, SCRATCH, plain)).toEqual({ text: plain, rewrites: [] });
  });
});

describe('handle references after a string holding # (read by the scanner of src/ruleset/scan.ts)', () => {
  it('are seen and translated; the comment after them is kept as it is', () => {
    const p = 'add rule inet filter other accept comment "#1"; delete rule inet filter input handle 12 # handle 3\n';
    expect(hasHandleReferences(p)).toBe(true);
    expect(translateHandles(LIVE, SCRATCH, p).text).toBe(
      'add rule inet filter other accept comment "#1"; delete rule inet filter input handle 6 # handle 3\n',
    );
  });
});
