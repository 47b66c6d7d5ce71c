import { describe, expect, it } from 'vitest';
import { hoistGlobalFlags } from '../../../src/cli/argv.js';

describe('hoistGlobalFlags', () => {
  it('moves global flags typed before the command behind it', () => {
    expect(hoistGlobalFlags(['--netns', 'lab', 'detect'])).toEqual(['detect', '--netns', 'lab']);
    expect(hoistGlobalFlags(['--netns=lab', '--json', '--state-dir', '/s', 'lab', 'up'])).toEqual([
      'lab',
      'up',
      '--netns=lab',
      '--json',
      '--state-dir',
      '/s',
    ]);
  });
  it('keeps them before a -- passthrough', () => {
    expect(hoistGlobalFlags(['--state-dir', '/s', 'lab', 'ssh', '--', 'ls', '--json'])).toEqual([
      'lab',
      'ssh',
      '--state-dir',
      '/s',
      '--',
      'ls',
      '--json',
    ]);
  });
  it('leaves other argv alone', () => {
    expect(hoistGlobalFlags(['plan', 'x.nft', '--netns', 'n'])).toEqual(['plan', 'x.nft', '--netns', 'n']);
    expect(hoistGlobalFlags(['--help'])).toEqual(['--help']);
  });
});
