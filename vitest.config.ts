import { defineConfig } from 'vitest/config';

// `unit` needs nothing running; `integration` and `browser` (which also drives Chromium) each get a
// throwaway Redis on a free port, started once by the global setup and stopped after the run (its URL
// reaches tests via inject('redisUrl')). `fuzz` (generated requests against a running gateway) and
// `chaos` (real processes killed, Redis killed, partners down) run after the rest, one file at a time,
// so their figures are not skewed by other suites sharing the two cores. Their size is set by
// FUZZ_SCALE and CHAOS_SCALE: `quick` (the default: CI) or `full` (npm run test:fuzz, test:chaos).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/adapters/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Debian's Chromium driven by playwright-core; screenshots land in test-artifacts/.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 30 * 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 60 * 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Real Sentinel groups and Redis Clusters (scripts/lib/redis-topology.ts): primaries SIGKILLed,
        // failovers timed. Size set by HA_SCALE: `quick` (default) or `full` (npm run test:ha).
        test: {
          name: 'ha',
          include: ['test/ha/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          sequence: { groupOrder: 3 },
          testTimeout: 20 * 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
