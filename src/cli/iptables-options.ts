// Without oclif: the apply fast path (src/cli/apply-fast-path.ts) needs this too.
import type { IpFamily, IptablesVariant } from '../formats/iptables/family.js';

/** The plan options these flags give. */
export function iptablesOptions(flags: { backend?: string; family?: string; 'replace-tables'?: boolean }): {
  backend: IptablesVariant | null;
  family: IpFamily | null;
  replaceTables: boolean;
} {
  return {
    backend: flags.backend === 'iptables-nft' ? 'nft' : flags.backend === 'iptables-legacy' ? 'legacy' : null,
    family: flags.family === 'v4' || flags.family === 'v6' ? flags.family : null,
    replaceTables: flags['replace-tables'] ?? false,
  };
}
