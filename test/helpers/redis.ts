/** Redis for integration tests: the run's throwaway server (started by global-setup.ts) and key prefixes. */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** URL of the run's throwaway Redis. Only in the `integration` project, whose global setup starts it. */
export function testRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) {
    throw new Error(
      'no test Redis: inject("redisUrl") is empty. Only test/integration and test/contract files get one ' +
        '(vitest project "integration", global setup test/helpers/global-setup.ts).',
    );
  }
  return url;
}

/**
 * A REDIS_PREFIX (^[a-z0-9_-]{1,32}$) of its own: `t-<name>-<8 random hex>`. `name` may be anything,
 * e.g. import.meta.url or a file name; it is reduced to a short slug.
 */
export function uniquePrefix(name: string): string {
  const slug = basename(name)
    .replace(/\.(test|spec)?\.?[cm]?[jt]s$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 20)
    .replace(/-+$/, '');
  return `t-${slug || 'x'}-${randomBytes(4).toString('hex')}`;
}

/** A client on the test Redis; quit it in afterAll. */
export function testRedisClient(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, lazyConnect: false });
}

/** Deletes every key that starts with `prefix` (a test's own keys), returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
