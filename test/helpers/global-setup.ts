/**
 * Vitest global setup of the `integration` project: one throwaway Redis on a free port, data in a fresh
 * temp dir, for the whole run. Tests reach it with inject('redisUrl') (see ./redis.ts); each test file
 * keeps to its own key prefix so files running in parallel do not collide.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../../scripts/lib/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'tgw-test-redis-'));
  const redis = await startRedis({ dir, loglevel: 'warning' });
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
