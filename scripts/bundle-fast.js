// Bundles the status/confirm start-up (dist/src/cli/fast-entry.js and all it imports, zod included) into
// one file, dist/src/cli/fast-bundle.js, with rolldown. Run by `npm run build` after tsc.
// - Each bundled module keeps its own location: `import.meta.url` in it is rewritten to the URL of its
//   compiled file beside the bundle (the watchdog's entry, the probe agent and the package root are found
//   from there), so the bundle behaves like the modules it was made of.
// - The apply fast path (plan code) is left out: bin/run.js never sends `apply` to the bundle.
import { rolldown } from 'rolldown';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli');
const out = join(cli, 'fast-bundle.js');

const ownLocation = {
  name: 'own-import-meta-url',
  transform(code, id) {
    if (!code.includes('import.meta.url')) return null;
    const rel = relative(cli, id).split('\\').join('/');
    const here = `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
    return { code: code.replaceAll('import.meta.url', here), map: null };
  },
};

const bundle = await rolldown({
  input: join(cli, 'fast-entry.js'),
  platform: 'node',
  external: [/\/apply-fast-path\.js$/],
  plugins: [ownLocation],
  logLevel: 'warn',
});
await bundle.write({ file: out, format: 'esm', codeSplitting: false, comments: false });
await bundle.close();
console.log(`${relative(root, out)}: status/confirm start-up bundle`);
