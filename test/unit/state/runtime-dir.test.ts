import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRootDir } from '../../../src/state/runtime-dir.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('ensureRootDir', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates a root-only directory; refuses one open to others, another user's, or a link", () => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-rt-'));
    expect(ensureRootDir(join(dir, 'ok'))).toBe(join(dir, 'ok'));
    mkdirSync(join(dir, 'open'), { mode: 0o755 });
    chmodSync(join(dir, 'open'), 0o755);
    expect(() => ensureRootDir(join(dir, 'open'))).toThrow(/owned by root with mode 0700/);
    mkdirSync(join(dir, 'theirs'), { mode: 0o700 });
    chownSync(join(dir, 'theirs'), 65534, 65534);
    expect(() => ensureRootDir(join(dir, 'theirs'))).toThrow(/owned by root with mode 0700/);
    symlinkSync(join(dir, 'ok'), join(dir, 'link'));
    expect(() => ensureRootDir(join(dir, 'link'))).toThrow(/owned by root with mode 0700/);
    expect(() => ensureRootDir(join(dir, 'no', 'parent'))).toThrow(/Cannot create/);
  });
});
