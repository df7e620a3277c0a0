/**
 * The registry: every partner described once, each descriptor building its adapter from the
 * configuration parsed with its own schema, clashes between descriptors refused at start, and an
 * unknown id an error.
 */
import { describe, expect, it } from 'vitest';
import { FujianAdapter } from '../../adapters/fujian/index.js';
import { GuangdongAdapter } from '../../adapters/guangdong/index.js';
import { NationalAdapter } from '../../adapters/national/index.js';
import type { PartnerDescriptor } from '../../adapters/partner.js';
import {
  BUILT_IN_PARTNERS,
  PartnerRegistry,
  UnknownPartnerError,
  builtInPartners,
} from '../../adapters/registry.js';

const configs: Record<string, unknown> = {
  national: { baseUrl: 'http://127.0.0.1:4101', clientId: 'c', clientSecret: 'national-secret-0123' },
  guangdong: { baseUrl: 'http://127.0.0.1:4102', appId: 'a', appSecret: 'guangdong-secret-0123' },
  fujian: { baseUrl: 'http://127.0.0.1:4103', appId: 'a', appKey: 'fujian-app-key-0123' },
};

describe('partner registry', () => {
  it('builds each adapter from its configuration, parsed with its own schema', () => {
    const built = builtInPartners.all().map((d) => d.createAdapter(d.config.parse(configs[d.id])));
    expect(built[0]).toBeInstanceOf(NationalAdapter);
    expect(built[1]).toBeInstanceOf(GuangdongAdapter);
    expect(built[2]).toBeInstanceOf(FujianAdapter);
    for (const [i, d] of builtInPartners.all().entries()) {
      expect(built[i]?.id).toBe(d.id);
      // One record of what a partner can do: the descriptor's is the adapter's.
      expect(built[i]?.capabilities).toBe(d.capabilities);
    }
    expect(builtInPartners.ids).toEqual(['national', 'guangdong', 'fujian']);
  });

  it('throws on an unknown id, naming the known ones', () => {
    expect(() => builtInPartners.get('hongkong')).toThrow(UnknownPartnerError);
    expect(() => builtInPartners.get('hongkong')).toThrow(/known: national, guangdong, fujian/);
    expect(builtInPartners.has('hongkong')).toBe(false);
  });

  it('derives the default routing from the descriptors', () => {
    expect(builtInPartners.routes()).toEqual({
      table: { '44': 'guangdong', '35': 'fujian' },
      rest: 'national',
    });
  });

  it('refuses descriptors that clash', () => {
    const [national, guangdong] = BUILT_IN_PARTNERS as [PartnerDescriptor, PartnerDescriptor];
    expect(() => new PartnerRegistry([national, { ...guangdong, id: 'national' }])).toThrow(
      /partner id used twice/,
    );
    expect(() => new PartnerRegistry([national, { ...guangdong, queue: national.queue }])).toThrow(
      /queue used twice/,
    );
    expect(() => new PartnerRegistry([national, { ...guangdong, envPrefix: 'NATIONAL' }])).toThrow(
      /envPrefix used twice/,
    );
    expect(() => new PartnerRegistry([national, { ...guangdong, provinces: 'rest' }])).toThrow(
      /exactly one partner serves the rest/,
    );
    expect(
      () =>
        new PartnerRegistry([
          national,
          guangdong,
          { ...guangdong, id: 'other', envPrefix: 'OTHER', queue: 'q' },
        ]),
    ).toThrow(/province used twice: 44/);
    expect(() => new PartnerRegistry([national, { ...guangdong, id: 'Bad Id' }])).toThrow(/must match/);
  });
});
