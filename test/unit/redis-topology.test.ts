import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDotenvFile } from '../../scripts/lib/dotenv.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { keyspace } from '../../src/redis-topology.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const example = loadDotenvFile(`${ROOT}/.env.example`);

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig({ ...example, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('Redis topology from the environment', () => {
  it('one server by REDIS_URL, as before', () => {
    expect(loadConfig(example).redis).toEqual({ kind: 'single', url: example.REDIS_URL });
  });

  it('Sentinel: the sentinels, the name, credentials and database from REDIS_URL', () => {
    const config = loadConfig({
      ...example,
      REDIS_URL: 'rediss://gw:s%40cret@ignored:6379/2',
      REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'tgw-primary',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
      REDIS_MIN_REPLICAS_ACK: '1',
    });
    expect(config.redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'tgw-primary',
      sentinelPassword: 'sentinel-pass',
      auth: { username: 'gw', password: 's@cret', tls: true },
      db: 2,
    });
    expect(config.REDIS_MIN_REPLICAS_ACK).toBe(1);
  });

  it('Sentinel and Cluster need no REDIS_URL', () => {
    const config = loadConfig({
      ...example,
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
    });
    expect(config.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      auth: { tls: false },
    });
  });

  it('REDIS_USERNAME and REDIS_PASSWORD give the data nodes credentials, over those in REDIS_URL', () => {
    const sentinel = loadConfig({
      ...example,
      REDIS_URL: undefined,
      REDIS_SENTINELS: '127.0.0.1:26379',
      REDIS_SENTINEL_NAME: 'p',
      REDIS_USERNAME: 'gateway',
      REDIS_PASSWORD: 'p@ss:word',
    }).redis;
    expect(sentinel).toMatchObject({
      kind: 'sentinel',
      auth: { username: 'gateway', password: 'p@ss:word', tls: false },
    });
    const single = loadConfig({
      ...example,
      REDIS_URL: 'redis://old:old@127.0.0.1:6379/1',
      REDIS_PASSWORD: 'p@ss:word',
    }).redis;
    expect(single.kind).toBe('single');
    const url = new URL(single.kind === 'single' ? single.url : '');
    expect([decodeURIComponent(url.username), decodeURIComponent(url.password), url.pathname]).toEqual([
      'old',
      'p@ss:word',
      '/1',
    ]);
  });

  it('refuses contradictions and half settings, each with its variable named', () => {
    expect(problems({ REDIS_URL: undefined }).join()).toMatch(/REDIS_URL: required/);
    expect(problems({ REDIS_SENTINELS: '127.0.0.1:26379' }).join()).toMatch(/REDIS_SENTINEL_NAME: required/);
    expect(problems({ REDIS_SENTINEL_NAME: 'x' }).join()).toMatch(
      /REDIS_SENTINEL_NAME: only with REDIS_SENTINELS/,
    );
    expect(
      problems({
        REDIS_SENTINELS: '127.0.0.1:26379',
        REDIS_SENTINEL_NAME: 'x',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      }).join(),
    ).toMatch(/not both/);
    expect(problems({ REDIS_CLUSTER_NODES: 'no-port' }).join()).toMatch(/REDIS_CLUSTER_NODES/);
    expect(problems({ REDIS_CLUSTER_NODES: '127.0.0.1:0' }).join()).toMatch(/REDIS_CLUSTER_NODES/);
    expect(problems({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://h:6379/3' }).join()).toMatch(
      /database 0/,
    );
    expect(problems({ REDIS_MIN_REPLICAS_ACK: '-1' }).join()).toMatch(/REDIS_MIN_REPLICAS_ACK/);
  });

  it('keys: unchanged on one server and under Sentinel; hash tags on a cluster', () => {
    const single = keyspace({ kind: 'single', url: 'redis://127.0.0.1:6379' }, 'tgw');
    expect([single.store, single.queue('delivery-national')]).toEqual(['tgw', 'tgw']);
    const cluster = keyspace(
      { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7000 }], auth: { tls: false } },
      'tgw',
    );
    expect(cluster.store).toBe('{tgw}');
    expect(cluster.queue('delivery-national')).toBe('{tgw:delivery-national}');
    expect(cluster.queue('notify')).not.toBe(cluster.queue('delivery-national'));
  });
});
