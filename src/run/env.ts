// Programs fwsafe starts get a known environment, not the caller's: as root, PATH, LD_* and NODE_*
// variables are the caller's to set (docs/security.md). Only what a child needs passes through.
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin';
// DBUS_SYSTEM_BUS_ADDRESS selects firewalld's bus (a private one in tests); the SUDO_* and USER names
// and SSH_* are who `fwsafe` records as the actor in a child fwsafe (the lab demo).
const KEPT = [
  'HOME',
  'TERM',
  'TZ',
  'NO_COLOR',
  'DBUS_SYSTEM_BUS_ADDRESS',
  'USER',
  'LOGNAME',
  'SUDO_USER',
  'SUDO_UID',
  'SSH_CONNECTION',
  'SSH_CLIENT',
];

/** The environment of a child: system PATH, C locale, the few variables above, then `extra`. */
export function childEnv(
  extra: Record<string, string | undefined> = {},
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = { PATH: SYSTEM_PATH, LC_ALL: 'C' };
  for (const name of KEPT) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
