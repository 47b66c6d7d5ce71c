#!/usr/bin/env node
// Entry point: as root, refuse a code tree someone else could change (docs/security.md); `status` and
// `confirm` are answered without oclif (src/cli/fast-path.ts), from a bundle (dist/src/cli/fast-bundle.js,
// made by `npm run build` from src/cli/fast-entry.ts: 4 modules to load instead of ~200, the claim taken
// after the first ~16 kB, since confirm races its deadline); everything else starts from the same entry
// unbundled and goes to oclif, which reads the shipped manifest, so start-up stays fast. oclif's user and
// dev plugins stay off, and so does its TypeScript auto-transpile (NODE_ENV=development|test): as root,
// nothing is loaded from HOME, XDG_DATA_HOME or FWSAFE_DATA_DIR, and only the checked dist/ runs, never
// sources beside it.
import { hoistGlobalFlags } from '../dist/src/cli/argv.js';

const args = hoistGlobalFlags(process.argv.slice(2));
const entry =
  args[0] === 'status' || args[0] === 'confirm' ? '../dist/src/cli/fast-bundle.js' : '../dist/src/cli/fast-entry.js';
const { assertSafeInstall, tryFastPath, writeError, toFwsafeError } = await import(entry);
let safe = true;
try {
  await assertSafeInstall();
} catch (error) {
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
