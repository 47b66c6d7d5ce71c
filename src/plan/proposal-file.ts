import { closeSync, openSync, readSync, statSync, constants, accessSync } from 'node:fs';
import { UserError } from '../errors.js';

export const MAX_PROPOSAL_BYTES = 16 * 1024 * 1024;

function refuse(code: string, message: string, action: string): never {
  throw new UserError(message, { code, actions: [action] });
}

/** Reads a proposal file, refusing anything that is not a readable, non-empty UTF-8 text file of sane size. */
export function readProposal(path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      refuse(
        'PROPOSAL_NOT_FOUND',
        `The proposal file ${path} does not exist.`,
        'Check the path; plan takes an nft script (e.g. rulesets/baseline.nft).',
      );
    if (code === 'EACCES')
      refuse(
        'PROPOSAL_UNREADABLE',
        `The proposal file ${path} cannot be read: permission denied.`,
        'Run fwsafe as root or fix the file permissions.',
      );
    refuse(
      'PROPOSAL_UNREADABLE',
      `The proposal file ${path} cannot be read (${(error as Error).message}).`,
      'Check the path and permissions.',
    );
  }
  if (stat.isDirectory())
    refuse('PROPOSAL_IS_DIRECTORY', `${path} is a directory, not an nft script.`, 'Pass the .nft file inside it.');
  if (!stat.isFile())
    refuse(
      'PROPOSAL_NOT_REGULAR',
      `${path} is not a regular file (a device, socket or FIFO).`,
      'Save the proposal to a file and pass that.',
    );
  if (stat.size === 0)
    refuse(
      'PROPOSAL_EMPTY',
      `The proposal file ${path} is empty: there is nothing to plan.`,
      'Write the nft commands or table blocks to apply into it.',
    );
  if (stat.size > MAX_PROPOSAL_BYTES) {
    refuse(
      'PROPOSAL_TOO_LARGE',
      `The proposal file ${path} is ${(stat.size / 1048576).toFixed(1)} MB; fwsafe plans files up to ${MAX_PROPOSAL_BYTES / 1048576} MB.`,
      'Split it, or move large set contents into a separate, smaller change.',
    );
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    refuse(
      'PROPOSAL_UNREADABLE',
      `The proposal file ${path} cannot be read: permission denied.`,
      'Run fwsafe as root or fix the file permissions.',
    );
  }
  const buffer = Buffer.alloc(stat.size);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    refuse(
      'PROPOSAL_UNREADABLE',
      `The proposal file ${path} cannot be opened (${(error as Error).message}).`,
      'Check its permissions.',
    );
  }
  try {
    readSync(fd, buffer, 0, stat.size, 0);
  } finally {
    closeSync(fd);
  }
  if (buffer.includes(0))
    refuse(
      'PROPOSAL_BINARY',
      `The proposal file ${path} contains NUL bytes: it is binary, not an nft script.`,
      'Pass the text file with the nft commands.',
    );
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buffer);
  if (text.includes('\uFFFD'))
    refuse(
      'PROPOSAL_NOT_UTF8',
      `The proposal file ${path} is not valid UTF-8 text.`,
      'Save it as UTF-8 (nft scripts are plain text).',
    );
  if (text.trim() === '')
    refuse(
      'PROPOSAL_EMPTY',
      `The proposal file ${path} contains only white space: there is nothing to plan.`,
      'Write the nft commands or table blocks to apply into it.',
    );
  // nft reads the CR of CR LF as "unexpected junk" at an invisible place: say what it is. (A BOM is
  // already gone: TextDecoder drops it, and the plan records and applies the text without it.)
  if (text.includes('\r\n')) {
    const line = text.slice(0, text.indexOf('\r\n')).split('\n').length;
    refuse(
      'PROPOSAL_CRLF',
      `The proposal file ${path} has Windows line endings (CR LF, first on line ${line}); nft rejects each CR as "unexpected junk".`,
      `Convert it to Unix line endings (dos2unix ${path}, or sed -i 's/\\r$//' ${path}).`,
    );
  }
  return text;
}
