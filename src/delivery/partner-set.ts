/**
 * The partners as the core sees them at run time: each one's adapter behind its caller (rate limit and
 * circuit breaker), what it can do, and its queue. Use cases ask for a partner by id and act on its
 * capabilities; they never name one.
 */
import type { Capabilities, TransferAdapter } from '../../adapters/adapter.js';
import type { MemberPortal } from '../../adapters/partner.js';
import type { Target } from '../domain/transfer.js';
import type { PartnerCaller } from './partner-caller.js';

export interface Partner {
  readonly id: Target;
  /** Who it is, for operators. */
  readonly label: string;
  readonly adapter: TransferAdapter;
  readonly caller: PartnerCaller;
  readonly capabilities: Capabilities;
  /** Its delivery queue's name. */
  readonly queue: string;
  /** Where a member reports locally (partners whose transfers end with a local report). */
  readonly memberPortal?: MemberPortal;
}

export interface PartnerSet {
  readonly ids: readonly Target[];
  has(id: string): boolean;
  /** The partner with this id; throws UnknownPartnerError for an id that is not registered. */
  get(id: Target): Partner;
  all(): readonly Partner[];
}
