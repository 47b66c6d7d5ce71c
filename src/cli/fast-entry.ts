// What bin/run.js needs before oclif: the install check, the status/confirm/apply fast path, the error writer.
// `npm run build` also bundles this module and everything it loads (zod included) with rolldown
// (scripts/bundle-fast.js): `status` and `confirm` start from dist/src/cli/fast-bundle.js, whose static part
// (this module's imports and the early claim) is ~16 kB and whose rest (zod, the stores) is one file read
// after the claim, so node links 4 modules instead of ~200 (confirm races its deadline). Every other
// command starts from this module unbundled, as compiled. The two never mix in one process.
export { assertSafeInstall } from './install-check.js';
export { tryFastPath } from './fast-path.js';
export { writeError } from './error-output.js';
export { toFwsafeError } from '../errors.js';
