/**
 * A partner, described once. Everything the gateway knows about a partner system comes from its
 * descriptor (in the partner's own folder, next to its adapter and simulator) through the registry
 * (./registry.ts): its configuration and the environment variables that fill it, how to build its
 * adapter and start its simulator, what it can do, its queue, the provinces it serves by default and
 * its words for operators and members. The core never names a partner; it asks the registry.
 */
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import type { Capabilities, TransferAdapter } from './adapter.js';
import type { BaseSimulatorOptions, SimulatorControl, SimulatorHandle } from './sim/types.js';

/** What every partner's configuration has: where it is. */
export interface PartnerConfigBase {
  baseUrl: string;
  timeoutMs: number;
}

/** How a simulator is started by the demo and the tests: everything but the partner's credentials. */
export type SimulatorStartOptions = Omit<BaseSimulatorOptions<never>, 'credentials'> & {
  /** Options only this partner's simulator knows (e.g. national's lapse time), checked by it. */
  extra?: Readonly<Record<string, unknown>>;
};

/** Where a member reports locally (a partner whose transfers end with a local report). */
export interface MemberPortal {
  /** The partner's system, as a member knows it. */
  name: string;
  /** Its home page, where the member logs in to report, when known. */
  url?: string;
}

export interface PartnerDescriptor<C extends PartnerConfigBase = PartnerConfigBase> {
  /** Stable id: stored on every transfer, part of callback URLs and metric labels. Never renamed. */
  readonly id: string;
  /** Who it is, for operators (dashboard, docs, demo). */
  readonly label: string;
  /**
   * Prefix of its environment variables. The gateway reads `<PREFIX>_<NAME>` for each entry of `env`,
   * `CALLBACK_SECRETS_<PREFIX>` (the Standard Webhooks secrets its callbacks are signed with) and
   * `RATE_LIMIT_<PREFIX>` (requests per second, default `defaultRateLimit`).
   */
  readonly envPrefix: string;
  /** Its adapter's configuration, parsed once at start. */
  readonly config: z.ZodType<C>;
  /** Which variable (after the prefix) fills each configuration field; timeoutMs is PARTNER_TIMEOUT_MS. */
  readonly env: Readonly<Record<string, string>>;
  readonly defaultRateLimit: number;
  /** Its delivery queue. NEVER RENAME: jobs waiting under the old name would be orphaned. */
  readonly queue: string;
  readonly capabilities: Capabilities;
  /**
   * The province codes it serves by default (the routing table, src/domain/routing.ts), or `rest`:
   * every destination no other partner claims (one partner only). PROVINCE_ROUTES replaces the table.
   */
  readonly provinces: readonly string[] | 'rest';
  /** With `localReport`: where the member reports, told to Beijing in reminders. */
  readonly memberPortal?: MemberPortal;
  /** How its org ids look in the simulator's directory (fixtures/orgs/<id>.json, scripts/gen-org-fixtures.ts). */
  directoryId(provinceCode: string, n: number): string;
  createAdapter(config: C, http?: AxiosInstance): TransferAdapter;
  /** Its simulator, with the credentials of `config` (the demo and the tests). */
  startSimulator(config: C, options: SimulatorStartOptions): Promise<SimulatorHandle<SimulatorControl>>;
}

/** Keeps a descriptor's configuration type while the registry holds descriptors of every kind. */
export function definePartner<C extends PartnerConfigBase>(d: PartnerDescriptor<C>): PartnerDescriptor<C> {
  return d;
}

export class UnknownPartnerError extends Error {
  constructor(
    readonly id: string,
    known: readonly string[],
  ) {
    super(`no partner "${id}"; known: ${known.join(', ')}`);
    this.name = 'UnknownPartnerError';
  }
}
