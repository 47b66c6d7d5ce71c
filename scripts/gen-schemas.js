// Generates docs/schemas/<name>.schema.json from every zod contract in src/contracts (via dist).
// `--check` exits 1 when a checked-in schema differs from what the code would generate.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const contracts = join(root, 'dist', 'src', 'contracts');
const out = join(root, 'docs', 'schemas');
const check = process.argv.includes('--check');
mkdirSync(out, { recursive: true });
let stale = 0;
for (const file of readdirSync(contracts)
  .filter((f) => f.endsWith('.js'))
  .sort()) {
  const name = file.replace(/\.js$/, '');
  const mod = await import(pathToFileURL(join(contracts, file)).href);
  const json = `${JSON.stringify({ $id: `fwsafe/${name}.schema.json`, ...z.toJSONSchema(mod.schema, { io: 'output', unrepresentable: 'any' }) }, null, 2)}\n`;
  const target = join(out, `${name}.schema.json`);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    /* new */
  }
  if (current !== json) {
    if (check) {
      console.error(`stale: docs/schemas/${name}.schema.json (run: npm run schemas)`);
      stale += 1;
    } else writeFileSync(target, json);
  }
}
if (stale) process.exit(1);
