// oclif's own "command not found" exits 2 in plain text, and 2 means "plan has changes" here:
// an unknown command is bad input (9), in the JSON error shape under --json.
import { UserError } from '../errors.js';
import { writeError } from './error-output.js';

export default async function commandNotFound(options: { id: string; argv?: string[] }): Promise<string> {
  const error = new UserError(`Unknown command "${options.id.replace(/:/g, ' ')}".`, {
    code: 'UNKNOWN_COMMAND',
    actions: ['See the commands: fwsafe --help'],
  });
  writeError(error, (options.argv ?? []).includes('--json') || process.argv.includes('--json'));
  return 'unknown-command';
}
