#!/usr/bin/env node
// Entry point: `status` is answered without oclif (src/cli/fast-path.ts); everything else goes to
// oclif, which reads the shipped manifest, so start-up stays fast.
import { hoistGlobalFlags } from '../dist/src/cli/argv.js';
import { tryFastPath } from '../dist/src/cli/fast-path.js';

const args = hoistGlobalFlags(process.argv.slice(2));
if (!(await tryFastPath(args))) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url, args });
}
