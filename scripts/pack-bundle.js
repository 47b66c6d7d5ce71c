#!/usr/bin/env node
// A self-contained fwsafe tarball for hosts without npm registry access (the Ansible install task takes it):
// the files `npm pack` ships, plus the production dependencies (their closure, as resolved in node_modules).
// Usage: npm run build && node scripts/pack-bundle.js [OUT_DIR]   → OUT_DIR/fwsafe-bundle-VERSION.tar.gz
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? root);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The directory `name` resolves to from `from` (node's lookup: node_modules of from, then of each parent). */
function locate(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`cannot resolve ${name} from ${from}`);
  }
}

const seen = new Map(); // real path → path relative to the root
const walk = (dir, deps) => {
  for (const name of Object.keys(deps ?? {})) {
    let found;
    try {
      found = locate(name, dir);
    } catch (error) {
      if (name in (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).optionalDependencies ?? {})) continue;
      throw error;
    }
    const real = realpathSync(found);
    if (seen.has(real)) continue;
    seen.set(real, relative(root, found));
    const child = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8'));
    walk(found, { ...child.dependencies, ...child.optionalDependencies });
  }
};
walk(root, pkg.dependencies);

const work = mkdtempSync(join(tmpdir(), 'fwsafe-bundle-'));
try {
  execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = join(work, `${pkg.name}-${pkg.version}.tgz`);
  execFileSync('tar', ['-xzf', tgz, '-C', work]);
  for (const [real, rel] of seen) cpSync(real, join(work, 'package', rel), { recursive: true, dereference: true });
  const bundle = join(out, `${pkg.name}-bundle-${pkg.version}.tar.gz`);
  execFileSync('tar', ['-czf', bundle, '--owner=0', '--group=0', '-C', work, 'package']);
  console.log(`${bundle} (${seen.size} dependencies)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
