import { Command, type Interfaces } from '@oclif/core';
import { globalFlags } from './flags.js';
import { FwsafeError, UserError, toFwsafeError } from '../errors.js';
import { netnsPath } from '../run/netns.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/** Every command: --json for free, global flags, errors as `{error:{code,message,actions}}` with stable exit codes. */
export abstract class BaseCommand extends Command {
  static enableJsonFlag = true;
  static baseFlags = globalFlags;

  /** Human output; silent under --json. */
  protected say(text = ''): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  /** Progress and warnings for humans go to stderr, never to stdout. */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(text.endsWith('\n') ? text : text + '\n');
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
          ? new UserError(error.message.replace(/\nSee more help with --help$/, ''), { code: 'USAGE', actions: ['See: fwsafe ' + (this.id ?? '').replace(/:/g, ' ') + ' --help'] })
          : toFwsafeError(error);
    process.exitCode = fw.exitCode;
    if (this.jsonEnabled()) {
      this.logJson({ error: fw.toJSON() });
    } else {
      const lines = [`Error: ${fw.message}`];
      for (const action of fw.actions) lines.push(`  → ${action}`);
      process.stderr.write(lines.join('\n') + '\n');
      if (process.env.DEBUG && fw.stack) process.stderr.write(fw.stack + '\n');
    }
    return undefined;
  }
}
