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

/** `plan` and `apply`: replay the host's own flows through the change (docs/flows.md). */
export const flowsFlags = {
  // Off by default (docs/flows.md says why); FWSAFE_FLOWS=1 turns it on for plan and apply alike.
  flows: Flags.boolean({
    description:
      "Replay the host's own flows (live connections by class, listening services, declared flows; inbound, outbound, forwarded, ICMP, PMTU, neighbour discovery) through the proposal: what it cuts, what it exposes (docs/flows.md).",
    env: 'FWSAFE_FLOWS',
    allowNo: true,
  }),
  'flows-file': Flags.string({
    description: 'Declared flows for --flows (implies --flows; default /etc/fwsafe/flows when it exists).',
  }),
};

/** The flows option of a plan from those flags. */
export function flowsOption(flags: { flows?: boolean; 'flows-file'?: string }): {
  enabled: boolean;
  file: string | null;
} {
  return { enabled: Boolean(flags.flows) || flags['flows-file'] !== undefined, file: flags['flows-file'] ?? null };
}

const VERSION = 'A version from fwsafe log: its number, "latest", -N (N before the latest)';

/** The argument that names a stored version (show, diff): one description of how a version is named. */
export const versionArg = {
  required: (orLive = false) =>
    Args.string({ description: `${VERSION}${orLive ? ', or "live"' : ''}.`, required: true }),
  optional: (note: string, orLive = false) =>
    Args.string({ description: `${VERSION}${orLive ? ', or "live"' : ''} (${note}).` }),
};
