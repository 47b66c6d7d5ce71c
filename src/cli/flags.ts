import { Flags } from '@oclif/core';

/** Flags every fwsafe command takes. */
export const globalFlags = {
  netns: Flags.string({
    description: 'Act inside this network namespace (as created by `ip netns add`).',
    helpGroup: 'GLOBAL',
  }),
  'state-dir': Flags.string({
    description: 'State directory (versions, journal, pending change).',
    env: 'FWSAFE_STATE_DIR',
    helpGroup: 'GLOBAL',
  }),
};
