// Global flags may come before the command (`fwsafe --netns lab detect`), as admins type them;
// oclif only parses flags after the command id, so move them behind it (before any `--`).
const WITH_VALUE = new Set(['--netns', '--state-dir']);
const BOOLEAN = new Set(['--json']);

export function hoistGlobalFlags(argv: readonly string[]): string[] {
  const hoisted: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const name = arg.split('=')[0]!;
    if (WITH_VALUE.has(name)) {
      if (arg.includes('=')) {
        hoisted.push(arg);
        i += 1;
      } else {
        hoisted.push(arg, ...(argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
        i += 2;
      }
    } else if (BOOLEAN.has(arg)) {
      hoisted.push(arg);
      i += 1;
    } else break;
  }
  if (hoisted.length === 0) return [...argv];
  const rest = argv.slice(i);
  const dashdash = rest.indexOf('--');
  return dashdash === -1 ? [...rest, ...hoisted] : [...rest.slice(0, dashdash), ...hoisted, ...rest.slice(dashdash)];
}
