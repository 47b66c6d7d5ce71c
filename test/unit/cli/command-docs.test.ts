import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

describe('docs/commands.md', () => {
  // The manifest is written by the build (npm test builds first); a bare `vitest` run without a build skips this.
  it.skipIf(!existsSync(join(ROOT, 'oclif.manifest.json')))(
    'is the reference the manifest generates (regenerate with npm run docs:commands)',
    () => {
      const r = spawnSync(process.execPath, ['scripts/gen-command-docs.js', '--check'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );
});
