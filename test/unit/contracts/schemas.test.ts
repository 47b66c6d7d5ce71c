import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

describe('docs/schemas', () => {
  it('match the zod contracts in src/contracts (regenerate with npm run schemas)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-schemas.js', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
