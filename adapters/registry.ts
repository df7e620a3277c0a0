/**
 * The one place adapters are registered. Adding a partner means one line here and one folder;
 * an unknown id is a configuration error and throws.
 */
import type { AxiosInstance } from 'axios';
import type { Target } from '../src/domain/transfer.js';
import type { TransferAdapter } from './adapter.js';
import { fujianConfigSchema, type FujianConfigInput } from './fujian/config.js';
import { FujianAdapter } from './fujian/index.js';
import { guangdongConfigSchema, type GuangdongConfigInput } from './guangdong/config.js';
import { GuangdongAdapter } from './guangdong/index.js';
import { nationalConfigSchema, type NationalConfigInput } from './national/config.js';
import { NationalAdapter } from './national/index.js';

export interface AdapterConfigs {
  national: NationalConfigInput;
  guangdong: GuangdongConfigInput;
  fujian: FujianConfigInput;
}

/** Each adapter's config schema, for the gateway's config to parse at start. */
export const ADAPTER_CONFIG_SCHEMAS = {
  national: nationalConfigSchema,
  guangdong: guangdongConfigSchema,
  fujian: fujianConfigSchema,
} as const;

export const ADAPTER_IDS: readonly Target[] = ['national', 'guangdong', 'fujian'];

export class UnknownAdapterError extends Error {
  constructor(readonly target: string) {
    super(`no adapter for target "${target}"; known: ${ADAPTER_IDS.join(', ')}`);
    this.name = 'UnknownAdapterError';
  }
}

/**
 * Builds one adapter. The config is parsed with that adapter's schema (a ZodError names what is
 * wrong), so untyped config from the environment is safe to pass.
 */
export function createAdapter<T extends Target>(
  target: T,
  config: AdapterConfigs[T],
  http?: AxiosInstance,
): TransferAdapter;
export function createAdapter(target: string, config: unknown, http?: AxiosInstance): TransferAdapter;
export function createAdapter(target: string, config: unknown, http?: AxiosInstance): TransferAdapter {
  switch (target) {
    case 'national':
      return new NationalAdapter(nationalConfigSchema.parse(config), http);
    case 'guangdong':
      return new GuangdongAdapter(guangdongConfigSchema.parse(config), http);
    case 'fujian':
      return new FujianAdapter(fujianConfigSchema.parse(config), http);
    default:
      throw new UnknownAdapterError(target);
  }
}

/** One adapter per target, sharing an HTTP client if given. */
export function createAdapters(
  configs: AdapterConfigs,
  http?: AxiosInstance,
): Record<Target, TransferAdapter> {
  return {
    national: createAdapter('national', configs.national, http),
    guangdong: createAdapter('guangdong', configs.guangdong, http),
    fujian: createAdapter('fujian', configs.fujian, http),
  };
}
