import { Flags } from '@oclif/core';
import type { IpFamily, IptablesVariant } from '../formats/iptables/family.js';

/** Flags of plan and apply for formats other than nft (iptables-restore proposals). */
export const formatFlags = {
  backend: Flags.string({
    description: 'iptables proposals: the variant to plan for (default: the one this host uses for the family).',
    options: ['iptables-nft', 'iptables-legacy'],
  }),
  family: Flags.string({
    description: 'iptables proposals: v4 or v6 (default: from the file name, rules.v6, or its content).',
    options: ['v4', 'v6'],
  }),
  'replace-tables': Flags.boolean({
    description:
      'iptables proposals: restore the named tables whole (classic iptables-restore), deleting chains the file does not declare.',
  }),
};

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
