import { configDefaults, defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fleet test has its own config and command (npm run test:fleet).
    exclude: [...configDefaults.exclude, 'test/fleet/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    disableConsoleIntercept: true,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Longest files first (a clean clone has no durations of earlier runs): see test/helpers/sequencer.ts.
    sequence: { sequencer: LongestFirstSequencer },
  },
});
