#!/usr/bin/env node
// Entry point: as root, refuse a code tree someone else could change (docs/security.md); `status`,
// `confirm` and the plain `apply FILE` are answered without oclif (src/cli/fast-path.ts), from a bundle
// (dist/src/cli/fast-bundle.js, made by `npm run build` from src/cli/fast-entry.ts: a few modules to load
// instead of ~200, confirm's claim taken after the first ~16 kB since it races its deadline, the planning
// code in a part status and confirm never read); everything else starts from the same entry unbundled
// and goes to oclif, which reads the shipped manifest, so start-up stays fast. oclif's user and
// dev plugins stay off, and so does its TypeScript auto-transpile (NODE_ENV=development|test): as root,
// nothing is loaded from HOME, XDG_DATA_HOME or FWSAFE_DATA_DIR, and only the checked dist/ runs, never
// sources beside it.
import { hoistGlobalFlags } from '../dist/src/cli/argv.js';

const args = hoistGlobalFlags(process.argv.slice(2));
const entry = ['status', 'confirm', 'apply'].includes(args[0])
  ? '../dist/src/cli/fast-bundle.js'
  : '../dist/src/cli/fast-entry.js';
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
