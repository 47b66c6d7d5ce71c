import { defineConfig } from 'vitest/config';

// `npm run test:fleet`: the Ansible fleet rollout against lab hosts (network namespaces with real sshds).
// Separate from `npm test`: it takes minutes (it waits for rollback deadlines on purpose).
export default defineConfig({
  test: {
    include: ['test/fleet/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    disableConsoleIntercept: true,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
