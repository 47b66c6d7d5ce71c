import type { RulesetModel } from '../../ruleset/model.js';
import type { FindingT } from '../schema.js';

export interface SshEndpoint {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
}

/** What every lint rule may look at. */
export interface FindingContext {
  base: RulesetModel;
  result: RulesetModel;
  touched: string[];
  proposalText: string;
  sshPorts: number[];
  ssh: SshEndpoint | null;
  legacyRulesPresent: boolean;
  notReproduced: string[];
  /** Interfaces that exist where the change will be applied; null when unknown (a plan --against). */
  liveInterfaces?: string[] | null;
  /** Admin addresses given without an SSH session (--admin-address): the logins that must keep working. */
  adminAddresses?: string[];
  /** The host has global IPv6 addresses or the admin is connected over IPv6: IPv6 losses are blocking. */
  ipv6InUse?: boolean;
}

export type Analyser = (ctx: FindingContext) => FindingT[];

/** Parses SSH_CONNECTION ("client port server port"); null when absent or malformed. */
export function parseSshConnection(value: string | undefined): SshEndpoint | null {
  const parts = (value ?? '').trim().split(/\s+/);
  if (parts.length !== 4) return null;
  const [client, cp, server, sp] = parts as [string, string, string, string];
  if (!/^\d+$/.test(cp) || !/^\d+$/.test(sp)) return null;
  return { client, clientPort: Number(cp), server, serverPort: Number(sp) };
}
