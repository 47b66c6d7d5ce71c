import { Flags } from '@oclif/core';

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

export { iptablesOptions } from './iptables-options.js';
