// The status/confirm/apply bundle (scripts/bundle-fast.js, made by `npm run build`): each bundled module still
// finds what it finds beside its compiled file, and status/confirm never read the planning part.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

const CLI = join(ROOT, 'dist', 'src', 'cli');
const built = existsSync(join(CLI, 'fast-bundle.js'));

describe.skipIf(!built)('dist/src/cli/fast-bundle*.js (after npm run build)', () => {
  const files = built ? readdirSync(CLI).filter((f) => f.startsWith('fast-bundle')) : [];
  const text = (f: string): string => readFileSync(join(CLI, f), 'utf8');

  it('is the five files bin/run.js loads, the claim in the small part', () => {
    expect(files.sort()).toEqual([
      'fast-bundle-apply.js',
      'fast-bundle-rest.js',
      'fast-bundle-runtime.js',
      'fast-bundle-start.js',
      'fast-bundle.js',
    ]);
    expect(text('fast-bundle-start.js')).toContain('function earlyClaim(');
    expect(text('fast-bundle-start.js')).not.toContain('zod');
    expect(text('fast-bundle-start.js').length).toBeLessThan(40_000);
  });

  it("every import.meta.url is a bundled module's own compiled file, which exists (the watchdog's entry is found beside it)", () => {
    const urls = files.flatMap((f) =>
      [...text(f).matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((m) => m[1]!),
    );
    expect(urls).toContain('../watchdog/arm.js');
    for (const u of urls) expect(existsSync(join(CLI, u)), u).toBe(true);
    expect(existsSync(join(CLI, '..', 'watchdog', 'main.js'))).toBe(true);
    // No bare import.meta.url left (it would name the bundle, not the module).
    for (const f of files)
      expect(text(f).replace(/new URL\("[^"]+", import\.meta\.url\)/g, '')).not.toContain('import.meta.url');
  });

  it('keeps planning in the apply part: what status and confirm load holds none of it', () => {
    for (const f of files.filter((name) => name !== 'fast-bundle-apply.js'))
      expect(text(f), f).not.toMatch(/function createPlanWithBase\(|function gateChange\(/);
    expect(text('fast-bundle-apply.js')).toMatch(/function createPlanWithBase\(/);
    expect(text('fast-bundle-start.js')).toContain('import("./fast-bundle-apply.js")');
    expect(text('fast-bundle-start.js')).not.toContain('import("./apply-fast-path.js")');
  });
});
