import { Command, type Interfaces } from '@oclif/core';
import { globalFlags } from './flags.js';
import { FwsafeError, UserError, toFwsafeError } from '../errors.js';
import { netnsPath } from '../run/netns.js';
import { statePaths } from '../state/paths.js';
import { existsSync } from 'node:fs';
import { writeError } from './error-output.js';
import { escapeControl } from './terminal-text.js';

// oclif's own parser types (not exported from the package's entry points).
// biome-ignore lint/suspicious/noExplicitAny: oclif's parser types are not exported
type FlagOutput = { [name: string]: any };
// biome-ignore lint/suspicious/noExplicitAny: oclif's parser types are not exported
type ArgOutput = { [name: string]: any };

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

/** Every command: --json for free, global flags, errors as `{error:{code,message,actions}}` with stable exit codes. */
export abstract class BaseCommand extends Command {
  static enableJsonFlag = true;
  static baseFlags = globalFlags;

  /** Commands that report an unguarded pending change themselves (they still re-arm a missing guard). */
  protected static skipStaleCheck = false;

  async init(): Promise<void> {
    await super.init();
    await this.warnStaleChange();
  }

  /** Every command: a missing guard is re-armed and said so; a change nobody guards is announced. */
  private async warnStaleChange(): Promise<void> {
    const i = this.argv.findIndex((a) => a === '--state-dir' || a.startsWith('--state-dir='));
    const dir =
      i === -1
        ? undefined
        : this.argv[i]!.includes('=')
          ? this.argv[i]!.slice('--state-dir='.length)
          : this.argv[i + 1];
    const paths = statePaths(dir);
    if (!existsSync(paths.pending)) return;
    try {
      const { guardNotices } = await import('../watchdog/rearm.js');
      const warnUnguarded = !(this.constructor as typeof BaseCommand).skipStaleCheck;
      for (const line of await guardNotices(paths, { warnUnguarded })) process.stderr.write(`${line}\n`);
    } catch (error) {
      process.stderr.write(escapeControl(`warning: cannot read the pending change: ${(error as Error).message}\n`));
    }
  }

  /** Any failure to parse argv (a bad flag, `extend abc`) is bad input (exit 9), never "a bug". */
  protected async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse<F, B, A>(options, argv);
    } catch (error) {
      if (error instanceof FwsafeError || (error as { oclif?: { exit?: number } }).oclif?.exit === 0) throw error;
      const message = (error as Error).message.replace(/\nSee more help with --help$/, '');
      throw new UserError(message, {
        code: 'USAGE',
        actions: [`See: fwsafe ${(this.id ?? '').replace(/:/g, ' ')} --help`],
      });
    }
  }

  /** JSON goes out as it is; oclif would colour it (tokenising megabytes of plan) even into a pipe. */
  logJson(json: unknown): void {
    if (process.stdout.isTTY) {
      super.logJson(json);
      return;
    }
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  /** Human output, control characters escaped (src/cli/terminal-text.ts). */
  log(message = '', ...args: unknown[]): void {
    super.log(escapeControl(String(message)), ...args);
  }

  /**
   * Coloured human output: only for text whose data was escaped before the colours went in
   * (renderPlan with colour, colourDiff, paint); everything else goes through log().
   */
  protected logPainted(text: string): void {
    super.log(text);
  }

  /** Human output; silent under --json. */
  protected say(text = ''): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  /** Progress and warnings for humans go to stderr, never to stdout. */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(escapeControl(text.endsWith('\n') ? text : `${text}\n`));
  }

  protected get isTty(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY);
  }

  protected get colour(): boolean {
    return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !this.jsonEnabled();
  }

  /** Validates --netns early so every command says the same thing about a bad name. */
  protected checkNetns(netns: string | undefined): string | null {
    if (netns === undefined) return null;
    netnsPath(netns);
    return netns;
  }

  protected async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // --help / --version end with a zero-exit "error": let oclif handle those.
    if (error.oclif?.exit === 0) throw error;
    const fw: FwsafeError =
      error instanceof FwsafeError
        ? error
        : error.oclif !== undefined
          ? new UserError(error.message.replace(/\nSee more help with --help$/, ''), {
              code: 'USAGE',
              actions: [`See: fwsafe ${(this.id ?? '').replace(/:/g, ' ')} --help`],
            })
          : toFwsafeError(error);
    writeError(fw, this.jsonEnabled());
    return undefined;
  }
}
