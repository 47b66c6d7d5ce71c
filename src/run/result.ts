/** One shape for a finished external program, whether it succeeded or not. */
export interface RunResult {
  command: string;
  args: string[];
  netns: string | null;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export function succeeded(result: RunResult): boolean {
  return result.exitCode === 0 && !result.timedOut && result.signal === null;
}
