import { inputChains } from './packet-walk.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';
import type { ChainModel } from '../../ruleset/model.js';

const textOf = (c: ChainModel): string => c.rules.map((r) => r.text).join('\n');

/** Input/forward policy drop without established/related accept, or (input) without loopback accept. */
export const dropPolicy: Analyser = (ctx) => {
  const out: FindingT[] = [];
  for (const { table, chain } of inputChains(ctx.result)) {
    if (!ctx.touched.includes(table.key) || chain.policy !== 'drop') continue;
    // An empty forward chain with policy drop is a deliberate "this host does not route".
    if (chain.hook === 'forward' && chain.rules.length === 0) continue;
    const text = textOf(chain);
    const where = `${table.key}/${chain.name}`;
    if (!/ct state [^\n]*established/.test(text) && !/jump|goto/.test(text)) {
      out.push({
        code: 'DROP_WITHOUT_ESTABLISHED',
        severity: 'warning',
        message: `${where} drops by policy but never accepts established/related traffic: replies to the host's own connections and existing sessions are dropped.`,
        fix: 'Add `ct state established,related accept` as the first rule.',
        location: where,
      });
    }
    if (chain.hook === 'input' && !/\b(iif|iifname) "?lo"? accept/.test(text) && !/jump|goto/.test(text)) {
      out.push({
        code: 'DROP_WITHOUT_LOOPBACK',
        severity: 'warning',
        message: `${where} drops by policy without accepting loopback: local services talking to 127.0.0.1/::1 break.`,
        fix: 'Add `iif "lo" accept` near the top.',
        location: where,
      });
    }
    if (table.family !== 'ip' && !/icmpv6|ipv6-icmp|nd-neighbor|ct state [^\n]*related/.test(text)) {
      out.push({
        code: 'ICMPV6_BLOCKED',
        severity: 'warning',
        message: `${where} drops ICMPv6: neighbour discovery and packet-too-big are blocked, which breaks IPv6 (and path MTU discovery).`,
        fix: 'Accept at least `icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, packet-too-big, destination-unreachable, time-exceeded } accept`.',
        location: where,
      });
    }
    if (table.family !== 'ip6' && !/\bicmp\b|ct state [^\n]*related/.test(text)) {
      out.push({
        code: 'ICMP_FRAG_NEEDED_BLOCKED',
        severity: 'warning',
        message: `${where} drops ICMP "fragmentation needed" (no icmp or related accept): path MTU discovery fails and large transfers hang (PMTU black hole).`,
        fix: 'Accept `ct state related` or `icmp type { destination-unreachable, time-exceeded } accept`.',
        location: where,
      });
    }
  }
  return out;
};
