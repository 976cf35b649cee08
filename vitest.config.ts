import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.services/**', '.cache/**', '.hub/**', 'openapi/clients/**', '.scratch/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites share real servers; each uses its own database/topic, but the
    // machine has two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
