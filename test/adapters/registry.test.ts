import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { FujianAdapter } from '../../adapters/fujian/index.js';
import { GuangdongAdapter } from '../../adapters/guangdong/index.js';
import { NationalAdapter } from '../../adapters/national/index.js';
import { UnknownAdapterError, createAdapter, createAdapters } from '../../adapters/registry.js';

const configs = {
  national: { baseUrl: 'http://127.0.0.1:4101', clientId: 'c', clientSecret: 's' },
  guangdong: { baseUrl: 'http://127.0.0.1:4102', appId: 'a', appSecret: 'guangdong-secret-0123' },
  fujian: { baseUrl: 'http://127.0.0.1:4103', appId: 'a', appKey: 'fujian-app-key-0123' },
};

describe('adapter registry', () => {
  it('builds each adapter from its config', () => {
    const all = createAdapters(configs);
    expect(all.national).toBeInstanceOf(NationalAdapter);
    expect(all.guangdong).toBeInstanceOf(GuangdongAdapter);
    expect(all.fujian).toBeInstanceOf(FujianAdapter);
    for (const [id, adapter] of Object.entries(all)) expect(adapter.id).toBe(id);
    expect(createAdapter('guangdong', configs.guangdong).capabilities.checkOrg).toBe(false);
  });

  it('throws on an unknown id', () => {
    expect(() => createAdapter('hongkong', {})).toThrow(UnknownAdapterError);
  });

  it('refuses a bad config with the schema error, and coerces numbers from the environment', () => {
    expect(() =>
      createAdapter('national', { baseUrl: 'not a url', clientId: 'c', clientSecret: 's' }),
    ).toThrow(ZodError);
    expect(() => createAdapter('fujian', { ...configs.fujian, appKey: 'short' })).toThrow(ZodError);
    expect(() => createAdapter('national', { ...configs.national, timeoutMs: '2500' })).not.toThrow();
  });
});
