// Bundles the status/confirm start-up (dist/src/cli/fast-entry.js and all it imports, zod included) with
// rolldown, in two files. Run by `npm run build` after tsc.
// - dist/src/cli/fast-bundle.js and fast-bundle-start.js: the entry and what it imports statically (the
//   install check, the fast path's parser, the early claim of src/apply/early-claim.ts): small, so `confirm`
//   takes its claim before the rest is even read.
// - dist/src/cli/fast-bundle-rest.js: everything the fast path imports dynamically (zod, the stores, confirm,
//   status), one file read once.
// - Each bundled module keeps its own location: `import.meta.url` in it is rewritten to the URL of its
//   compiled file beside the bundle (the watchdog's entry and the package root are found from there), so the
//   bundle behaves like the modules it was made of.
// - dist/src/cli/fast-bundle-apply.js: what only the plain `apply FILE` fast path needs (the gate, the
//   planner, the formats): `apply` starts from the bundle too (measured at 500 rules, quiet: 537-559 ms
//   unbundled, 493-499 ms bundled), and `status`/`confirm` never read it.
import { RUNTIME_MODULE_ID, rolldown } from 'rolldown';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli');
const entry = join(cli, 'fast-entry.js');

const ownLocation = {
  name: 'own-import-meta-url',
  transform(code, id) {
    if (!code.includes('import.meta.url')) return null;
    const rel = relative(cli, id).split('\\').join('/');
    const here = `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
    return { code: code.replaceAll('import.meta.url', here), map: null };
  },
};

// The entry's static imports and the early claim (loaded on demand, but first), transitively: what runs
// before the claim.
const claim = join(root, 'dist', 'src', 'apply', 'early-claim.js');
const startModules = new Set();
const staticClosure = {
  name: 'static-closure',
  buildEnd() {
    const todo = [entry, claim, RUNTIME_MODULE_ID];
    while (todo.length > 0) {
      const id = todo.pop();
      if (startModules.has(id)) continue;
      startModules.add(id);
      todo.push(...(this.getModuleInfo(id)?.importedIds ?? []));
    }
  },
};

// What `status` and `confirm` can reach (static and dynamic imports, not through the apply fast path):
// every other module is the apply fast path's alone.
const applyPath = join(cli, 'apply-fast-path.js');
const confirmModules = new Set();
const confirmClosure = {
  name: 'confirm-closure',
  buildEnd() {
    const todo = [entry];
    while (todo.length > 0) {
      const id = todo.pop();
      if (id === applyPath || confirmModules.has(id)) continue;
      confirmModules.add(id);
      const info = this.getModuleInfo(id);
      todo.push(...(info?.importedIds ?? []), ...(info?.dynamicallyImportedIds ?? []));
    }
  },
};

const bundle = await rolldown({
  input: entry,
  platform: 'node',
  plugins: [ownLocation, staticClosure, confirmClosure],
  logLevel: 'warn',
  // A module both imported and loaded lazily stays where the static import puts it: expected here.
  checks: { ineffectiveDynamicImport: false },
});
const { output } = await bundle.write({
  dir: cli,
  format: 'esm',
  comments: false,
  entryFileNames: 'fast-bundle.js',
  // rolldown's own helpers get a chunk of their own: named after the bundle too.
  chunkFileNames: (chunk) => (chunk.name === 'rolldown-runtime' ? 'fast-bundle-runtime.js' : '[name].js'),
  codeSplitting: {
    groups: [
      { debugName: 'start', priority: 3, name: (id) => (startModules.has(id) ? 'fast-bundle-start' : null) },
      // status/confirm's lazy part before the apply part, so what both use (zod, the stores) stays here.
      { debugName: 'rest', priority: 2, name: (id) => (confirmModules.has(id) ? 'fast-bundle-rest' : null) },
      { debugName: 'apply', priority: 1, name: () => 'fast-bundle-apply' },
    ],
  },
});
await bundle.close();
const files = output.map((o) => o.fileName).sort();
if (
  files.join(' ') !==
  'fast-bundle-apply.js fast-bundle-rest.js fast-bundle-runtime.js fast-bundle-start.js fast-bundle.js'
)
  throw new Error(`unexpected bundle files: ${files}`);
console.log(`dist/src/cli/${files.join(', ')}: status/confirm/apply start-up bundle`);
