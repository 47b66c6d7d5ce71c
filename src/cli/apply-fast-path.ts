// `fwsafe apply FILE --no-wait` without oclif (~0.15–0.2 s of start-up on these machines): what scripts,
// the fleet runner and the bench run. Only the plain form is served — no question to ask (--yes, --json
// or no terminal), nothing pending, and only these flags; anything else (--plan, --persist, a typo, a
// value oclif would refuse) goes to oclif, which parses and reports it as usual. The work and the
// output are commands/apply.ts's own: gateChange, renderGated, applyResult, renderApplyResult.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../state/paths.js';
import { toFwsafeError } from '../errors.js';
import { writeError } from './error-output.js';
import { escapeControl } from './terminal-text.js';

interface ApplyArgs {
  file: string;
  json: boolean;
  yes: boolean;
  force: boolean;
  probes: boolean;
  timeout: number;
  message: string;
  netns: string | undefined;
  stateDir: string | undefined;
}

/** `apply FILE --no-wait [--yes|-y] [--force] [--no-probes] [--timeout N] [--message M|-m M] [--json] [--netns N] [--state-dir D]`; or null. */
export function parseApplyArgs(args: readonly string[]): ApplyArgs | null {
  if (args[0] !== 'apply') return null;
  const out: Omit<ApplyArgs, 'file'> & { noWait: boolean; file: string | undefined } = {
    file: undefined,
    noWait: false,
    json: false,
    yes: false,
    force: false,
    probes: true,
    timeout: 120,
    message: '',
    netns: undefined,
    stateDir: undefined,
  };
  const value = (i: number): string | undefined => {
    const v = args[i + 1];
    return v !== undefined && !v.startsWith('-') ? v : undefined;
  };
  for (let i = 1; i < args.length; i += 1) {
    const arg = args[i]!;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const taken = inline ?? value(i);
    if (arg === '--no-wait') out.noWait = true;
    else if (arg === '--json') out.json = true;
    else if (arg === '--yes' || arg === '-y') out.yes = true;
    else if (arg === '--force') out.force = true;
    else if (arg === '--no-probes') out.probes = false;
    else if (
      name === '--timeout' ||
      name === '--message' ||
      name === '-m' ||
      name === '--netns' ||
      name === '--state-dir'
    ) {
      if (taken === undefined) return null;
      if (inline === undefined) i += 1;
      if (name === '--timeout') {
        // oclif's integer flag (min 2, max 86400): anything else is its to refuse.
        if (!/^\d{1,5}$/.test(taken) || Number(taken) < 2 || Number(taken) > 86_400) return null;
        out.timeout = Number(taken);
      } else if (name === '--netns') out.netns = taken;
      else if (name === '--state-dir') out.stateDir = taken;
      else out.message = taken;
    } else if (!arg.startsWith('-') && out.file === undefined) out.file = arg;
    else return null;
  }
  if (!out.noWait || out.file === undefined) return null;
  const { noWait: _noWait, ...parsed } = out;
  return { ...parsed, file: out.file };
}

/** Runs `apply … --no-wait` here when it is the plain form; false hands it to oclif. */
export async function tryApplyFastPath(args: readonly string[]): Promise<boolean> {
  const parsed = parseApplyArgs(args);
  if (!parsed) return false;
  // Asking "apply?" needs a terminal dialogue: oclif's command does that.
  const asking = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !parsed.yes && !parsed.json;
  // A pending change: oclif's command re-arms its guards and says so before refusing. Admin addresses
  // from the environment, or JSON onto a terminal (oclif colours it): oclif's too.
  if (asking || existsSync(statePaths(parsed.stateDir).pending)) return false;
  if (process.env.FWSAFE_ADMIN_ADDRESS !== undefined || (parsed.json && process.stdout.isTTY)) return false;
  const human = (line: string, to: NodeJS.WriteStream): void => {
    if (!parsed.json) to.write(`${escapeControl(line)}\n`);
  };
  try {
    const { netnsPath } = await import('../run/netns.js');
    if (parsed.netns !== undefined) netnsPath(parsed.netns);
    const [{ gateChange }, { renderGated, applyResult, renderApplyResult }, { packageRoot }, { iptablesOptions }] =
      await Promise.all([
        import('../apply/gate.js'),
        import('../apply/render.js'),
        import('./install-check.js'),
        import('./iptables-options.js'),
      ]);
    const gate = await gateChange({
      source: { kind: 'file', path: parsed.file },
      netns: parsed.netns ?? null,
      stateDir: parsed.stateDir,
      timeoutSec: parsed.timeout,
      force: parsed.force,
      persistPath: null,
      message: parsed.message,
      bin: join(packageRoot(), 'bin', 'run.js'),
      probes: parsed.probes,
      adminAddresses: undefined,
      fromElsewhere: false,
      iptables: iptablesOptions({}),
      show: (gated) => {
        for (const line of renderGated(gated)) human(line, process.stderr);
      },
      ask: async () => false,
    });
    if (gate.status !== 'applied') {
      const { BugError } = await import('../errors.js');
      throw new BugError('The gate returned no change for a proposal.');
    }
    const result = applyResult(gate.applied, null);
    for (const line of renderApplyResult(result)) human(line, process.stdout);
    if (parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (result.state !== 'confirmed' && result.state !== 'pending') process.exitCode = 3;
  } catch (error) {
    writeError(toFwsafeError(error), parsed.json);
  }
  return true;
}
