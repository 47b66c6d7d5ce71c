// ssh joins its remote command with spaces and hands the result to the remote user's shell: every
// word is quoted here (POSIX single quotes), so a path with spaces or `;$()` stays one argument.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word that means exactly `word` to a POSIX shell. */
export function shellWord(word: string): string {
  if (word.includes('\0')) throw new Error('an argument cannot contain a NUL byte');
  return SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The remote command line for ssh that runs exactly `argv` at the far end. */
export function remoteCommand(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
