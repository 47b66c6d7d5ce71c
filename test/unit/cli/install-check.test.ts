import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findUnsafePaths } from '../../../src/cli/install-check.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('findUnsafePaths', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A minimal package tree, root-owned, 0755. */
  const tree = (): string => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-ic-'));
    chmodSync(dir, 0o755);
    const root = join(dir, 'pkg');
    for (const d of ['bin', 'dist', 'node_modules']) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
    writeFileSync(join(root, 'package.json'), '{}');
    writeFileSync(join(root, 'bin', 'run.js'), '');
    writeFileSync(join(root, 'dist', 'a.js'), '');
    return root;
  };

  it('a root-owned tree passes; links are followed to targets outside it, and their ancestors are checked', async () => {
    const root = tree();
    expect(await findUnsafePaths(root)).toEqual([]);
    // A link to a file another user owns.
    mkdirSync(join(dir, 'other'), { mode: 0o755 });
    writeFileSync(join(dir, 'other', 'evil.js'), '');
    chownSync(join(dir, 'other', 'evil.js'), 65534, 65534);
    symlinkSync(join(dir, 'other', 'evil.js'), join(root, 'dist', 'b.js'));
    expect(await findUnsafePaths(root)).toEqual([
      { path: join(dir, 'other', 'evil.js'), why: 'owned by uid 65534, not root' },
    ]);
    // A root-owned file in a directory another user can write: they can swap it.
    rmSync(join(root, 'dist', 'b.js'));
    mkdirSync(join(dir, 'theirs'), { mode: 0o755 });
    writeFileSync(join(dir, 'theirs', 'mod.js'), '');
    chownSync(join(dir, 'theirs'), 65534, 65534);
    symlinkSync(join(dir, 'theirs', 'mod.js'), join(root, 'node_modules', 'mod.js'));
    expect(await findUnsafePaths(root)).toEqual([{ path: join(dir, 'theirs'), why: 'owned by uid 65534, not root' }]);
  });

  it('the package directory itself and world-writable files are refused', async () => {
    const root = tree();
    chmodSync(join(root, 'bin', 'run.js'), 0o666);
    chmodSync(root, 0o775);
    const problems = await findUnsafePaths(root);
    expect(problems).toContainEqual({ path: root, why: 'writable by group 0' });
    expect(problems).toContainEqual({ path: join(root, 'bin', 'run.js'), why: 'writable by everyone' });
  });
});
