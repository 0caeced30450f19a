import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // no "install tfjs-node" banner from tfjs's cpu backend (the one place that decides: src/engine/quiet.ts)
    setupFiles: ['src/engine/quiet.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: run test files two at a time
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
