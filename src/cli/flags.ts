import { Args, Flags } from '@oclif/core';

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

/** The admin's address(es) for the lockout probes when there is no SSH_CONNECTION (a console, CI). */
export const adminAddressFlag = Flags.string({
  description:
    'An address the admin logs in from (repeatable; comma-separated in FWSAFE_ADMIN_ADDRESS). Probed when there is no SSH_CONNECTION.',
  env: 'FWSAFE_ADMIN_ADDRESS',
  multiple: true,
  delimiter: ',',
});

const VERSION = 'A version from fwsafe log: its number, "latest", -N (N before the latest)';

/** The argument that names a stored version (show, diff): one description of how a version is named. */
export const versionArg = {
  required: (orLive = false) =>
    Args.string({ description: `${VERSION}${orLive ? ', or "live"' : ''}.`, required: true }),
  optional: (note: string, orLive = false) =>
    Args.string({ description: `${VERSION}${orLive ? ', or "live"' : ''} (${note}).` }),
};
