#!/usr/bin/env node
// Entry point: as root, refuse a code tree someone else could change (docs/security.md); `status` and `confirm` are
// answered without oclif (src/cli/fast-path.ts); everything else goes to oclif, which reads the shipped
// manifest, so start-up stays fast. oclif's user and dev plugins stay off, and so does its TypeScript
// auto-transpile (NODE_ENV=development|test): as root, nothing is loaded from HOME, XDG_DATA_HOME or
// FWSAFE_DATA_DIR, and only the checked dist/ runs, never sources beside it.
import { assertSafeInstall } from '../dist/src/cli/install-check.js';
import { hoistGlobalFlags } from '../dist/src/cli/argv.js';
import { tryFastPath } from '../dist/src/cli/fast-path.js';

const args = hoistGlobalFlags(process.argv.slice(2));
let safe = true;
try {
  await assertSafeInstall();
} catch (error) {
  const { writeError } = await import('../dist/src/cli/error-output.js');
  const { toFwsafeError } = await import('../dist/src/errors.js');
  writeError(toFwsafeError(error), args.includes('--json'));
  safe = false;
}
if (safe && !(await tryFastPath(args))) {
  const { execute, settings } = await import('@oclif/core');
  settings.enableAutoTranspile = false;
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  await execute({ args, loadOptions: { root, userPlugins: false, devPlugins: false } });
}
