/** The test infrastructure itself: the run's Redis, prefixes, and testEnv against the real config schema. */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { FILE_PREFIX, testEnv } from '../helpers/env.js';
import { deleteKeysWithPrefix, testRedisClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

describe('test infrastructure', () => {
  const redis = testRedisClient();
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, FILE_PREFIX);
    await redis.quit();
  });

  it('provides a throwaway Redis on a free local port', async () => {
    expect(testRedisUrl()).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redis.ping()).toBe('PONG');
    const config = await redis.config('GET', 'appendonly');
    expect(config).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  });

  it('gives each file its own valid prefix', () => {
    expect(FILE_PREFIX).toMatch(/^t-infra-[0-9a-f]{8}$/);
    const other = uniquePrefix('/some/where/A Very Long Test File Name With Spaces.test.ts');
    expect(other).toMatch(/^[a-z0-9_-]{1,32}$/);
    expect(other).not.toBe(uniquePrefix('/some/where/A Very Long Test File Name With Spaces.test.ts'));
  });

  it('testEnv is a complete valid configuration pointing at the test Redis', () => {
    const config = loadConfig(testEnv());
    expect(config.REDIS_URL).toBe(testRedisUrl());
    expect(config.PORT).toBe(0);
    expect(config.REDIS_PREFIX).toBe(FILE_PREFIX);
    expect(config.API_KEYS.map((k) => k.id)).toEqual(['beijing', 'ops', 'reader']);
    expect(loadConfig(testEnv({ ROLE: 'worker', PUBLIC_URL: undefined })).PUBLIC_URL).toBeUndefined();
  });

  it('deletes only the keys of a prefix', async () => {
    const mine = uniquePrefix('mine');
    const theirs = uniquePrefix('theirs');
    await redis.set(`${mine}:a`, '1');
    await redis.set(`${mine}:b`, '1');
    await redis.set(`${theirs}:a`, '1');
    expect(await deleteKeysWithPrefix(redis, mine)).toBe(2);
    expect(await redis.exists(`${theirs}:a`)).toBe(1);
    await deleteKeysWithPrefix(redis, theirs);
  });
});
