import { isIP } from 'node:net';
import { stripComments } from '../ruleset/scan.js';

/** A destination a DNAT rule rewrites to (`dnat to 172.17.0.2:80`, iptables-nft's too). */
export interface NatTarget {
  addr: string;
  port: number | null;
}

/**
 * The IPv4 DNAT targets a ruleset text names. The probes put a backend with these addresses behind the
 * probe host, so a flow aimed at a published port follows the NAT through the forward path, as live.
 */
export function dnatTargets(text: string, limit = 8): NatTarget[] {
  const out = new Map<string, NatTarget>();
  // A commented-out rule rewrites nothing.
  for (const m of stripComments(text).matchAll(/\bdnat (?:ip )?to (\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?/g)) {
    if (isIP(m[1]!) !== 4) continue;
    const t = { addr: m[1]!, port: m[2] ? Number(m[2]) : null };
    out.set(`${t.addr}:${t.port}`, t);
  }
  return [...out.values()].slice(0, limit);
}
