import { describe, expect, it } from 'vitest';
import { adminPartOf } from '../../../../src/formats/iptables/admin-part.js';

const NAT =
  '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n';
const FILTER = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';

describe('adminPartOf: the admin part of an iptables table (diff of tables other owners created)', () => {
  it("drops docker's chains, its jumps and the built-ins left idle; a table with nothing left goes", () => {
    expect(adminPartOf(`${FILTER}${NAT}`, ['nat'])).toBe(FILTER);
    expect(adminPartOf(NAT, ['nat'])).toBeNull();
  });

  it("keeps the admin's own rules and policies in that table", () => {
    const nat = NAT.replace('COMMIT', '-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT');
    expect(adminPartOf(nat, ['nat'])).toBe(
      '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n',
    );
  });

  it('leaves other tables, and everything when no table is named, as saved', () => {
    expect(adminPartOf(`${FILTER}${NAT}`, [])).toBe(`${FILTER}${NAT}`);
    expect(adminPartOf(`${FILTER}${NAT}`, ['mangle'])).toBe(`${FILTER}${NAT}`);
    expect(adminPartOf(null, ['nat'])).toBeNull();
  });
});
