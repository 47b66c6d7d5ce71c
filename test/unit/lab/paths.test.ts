import { afterEach, describe, expect, it } from 'vitest';
import { LAB_STATE_DIR, labNames } from '../../../src/lab/paths.js';
import { DEFAULT_STATE_DIR } from '../../../src/state/paths.js';

describe('the lab keeps its own state', () => {
  const saved = process.env.FWSAFE_STATE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.FWSAFE_STATE_DIR;
    else process.env.FWSAFE_STATE_DIR = saved;
  });

  it("defaults to /var/lib/fwsafe-lab, never the host's /var/lib/fwsafe; --state-dir and FWSAFE_STATE_DIR still choose", () => {
    delete process.env.FWSAFE_STATE_DIR;
    expect(LAB_STATE_DIR).not.toBe(DEFAULT_STATE_DIR);
    expect(labNames('fwlab').dir).toBe('/var/lib/fwsafe-lab/lab/fwlab');
    expect(labNames('fwlab', '/tmp/x').dir).toBe('/tmp/x/lab/fwlab');
    process.env.FWSAFE_STATE_DIR = '/tmp/y';
    expect(labNames('fwlab').dir).toBe('/tmp/y/lab/fwlab');
  });
});
