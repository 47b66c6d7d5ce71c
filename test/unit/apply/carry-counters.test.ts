import { describe, expect, it } from 'vitest';
import { carryNftCounters, carryXtCounters } from '../../../src/apply/carry-counters.js';
import { restoreTableScript } from '../../../src/plan/rollback.js';

// What the plan listed (the restore script is cut from it) and what the rollback lists before restoring.
const PLANNED = `table inet mine { # handle 4
\tcounter hits { # handle 9
\t\tpackets 1 bytes 60
\t}
\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 22 counter packets 7 bytes 700 accept # handle 2
\t\ttcp dport 22 counter packets 1 bytes 100 accept # handle 3
\t\tip saddr 10.0.0.1 quota over 10 mbytes used 5 kbytes drop # handle 5
\t\ttcp dport 80 counter packets 4 bytes 400 accept # handle 6
\t}
\tchain out { # handle 7
\t\ttcp dport 22 counter packets 2 bytes 200 accept # handle 8
\t}
}`;
const LIVE = `table inet mine { # handle 4
\tcounter hits { # handle 9
\t\tpackets 31 bytes 1860
\t}
\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 25 drop # handle 20
\t\ttcp dport 22 counter packets 70 bytes 7000 accept # handle 2
\t\ttcp dport 22 counter packets 10 bytes 1000 accept # handle 3
\t\tip saddr 10.0.0.1 quota over 10 mbytes used 9 mbytes drop # handle 5
\t}
\tchain out { # handle 7
\t\ttcp dport 22 counter packets 20 bytes 2000 accept # handle 8
\t}
}
`;
const listings = { 'inet mine': LIVE };

describe('carryNftCounters: a restore keeps the counters of the moment', () => {
  it('a table restored whole: live rules with the same text (same chain, in order) get their live values; the rest keeps the plan', () => {
    const script = restoreTableScript('inet', 'mine', PLANNED);
    const out = carryNftCounters(script, listings);
    expect(out.split('\n')).toHaveLength(script.split('\n').length);
    expect(out).toContain(
      '\t\ttcp dport 22 counter packets 70 bytes 7000 accept\n\t\ttcp dport 22 counter packets 10 bytes 1000 accept\n',
    );
    expect(out).toContain('quota over 10 mbytes used 9 mbytes drop');
    expect(out).toContain('\t\tpackets 31 bytes 1860\n');
    // chain out's identical rule is another rule: its own live value
    expect(out).toContain('\tchain out {\n\t\ttcp dport 22 counter packets 20 bytes 2000 accept\n');
    // deleted by someone else since: put back with the plan's values
    expect(out).toContain('tcp dport 80 counter packets 4 bytes 400 accept');
    expect(out).not.toContain('tcp dport 25 drop');
  });

  it('a chain refilled by a fallback (add chain F N X { … }) too; other lines and tables untouched', () => {
    const script =
      'add chain inet mine input { type filter hook input priority filter; policy accept; }\nflush chain inet mine input\n' +
      'add rule inet mine out tcp dport 22 counter packets 2 bytes 200 accept\n' +
      'add chain inet mine input {\n\t\ttcp dport 22 counter packets 7 bytes 700 accept\n\t\ttcp dport 80 counter packets 4 bytes 400 accept\n}\n';
    const out = carryNftCounters(script, listings);
    expect(out).toBe(script.replace('packets 7 bytes 700', 'packets 70 bytes 7000'));
    expect(carryNftCounters(script, {})).toBe(script);
    expect(carryNftCounters(script, { 'inet other': LIVE.replace('inet mine', 'inet other') })).toBe(script);
  });
});

describe('carryXtCounters: iptables-nft-restore -c input with the live counters', () => {
  it('rules and built-in chain policies matched by table, chain and text; others keep the plan', () => {
    const planned =
      '*filter\n:INPUT ACCEPT [10:1000]\n:MINE - [0:0]\n[5:500] -A INPUT -p icmp -j ACCEPT\n[1:60] -A INPUT -p tcp -m tcp --dport 25 -j ACCEPT\nCOMMIT\n';
    const live =
      '# Generated\n*filter\n:INPUT ACCEPT [99:9900]\n:MINE - [0:0]\n[11:924] -A INPUT -p icmp -j ACCEPT\n[0:0] -A INPUT -p tcp -m tcp --dport 99 -j ACCEPT\nCOMMIT\n';
    expect(carryXtCounters(planned, { 'ip filter': live })).toBe(
      '*filter\n:INPUT ACCEPT [99:9900]\n:MINE - [0:0]\n[11:924] -A INPUT -p icmp -j ACCEPT\n[1:60] -A INPUT -p tcp -m tcp --dport 25 -j ACCEPT\nCOMMIT\n',
    );
    expect(carryXtCounters(planned, {})).toBe(planned);
  });
});
