/**
 * A complete, valid environment for loadConfig in tests: the values of .env.example, then
 * REDIS_URL = the run's test Redis (when the project has one), PORT=0, NODE_ENV=test, LOG_LEVEL=silent,
 * REDIS_PREFIX = this test file's own prefix, then `overrides` (an `undefined` override removes the key).
 */
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { loadDotenvFile } from '../../scripts/lib/dotenv.js';
import { uniquePrefix } from './redis.js';

const ENV_EXAMPLE = fileURLToPath(new URL('../../.env.example', import.meta.url));

/**
 * One prefix per test file: vitest evaluates this module once per file (isolated module graphs), so every
 * testEnv() call in a file shares it (an API and a worker in the same test see the same keys) while files
 * running in parallel do not collide.
 */
export const FILE_PREFIX = uniquePrefix(expect.getState().testPath ?? 'file');

export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...loadDotenvFile(ENV_EXAMPLE),
    PORT: '0',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_PREFIX: FILE_PREFIX,
    // .env.example shortens these for the demo; tests start from the production defaults.
    LOCAL_REPORT_DUE_DAYS: '30',
    LOCAL_REPORT_REMINDER_DAYS: '7,14,21',
    LOCAL_REPORT_CHECK_MS: '60000',
    RECONCILE_STALE_AFTER_MS: '21600000',
    RECONCILE_INTERVAL_MS: '60000',
  };
  const redisUrl = inject('redisUrl');
  if (redisUrl) env.REDIS_URL = redisUrl;
  Object.assign(env, overrides);
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
