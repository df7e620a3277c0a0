/**
 * The one place partners are registered: adding a partner is its folder (adapter, wire format,
 * simulator, descriptor) and one line in BUILT_IN_PARTNERS. Everything else — configuration and its
 * environment variables, queues, workers, callback routes and secrets, the dashboard, metric labels,
 * routing defaults, the demo and the fixture generator — is derived from the registry.
 */
import { fujianPartner } from './fujian/partner.js';
import { guangdongPartner } from './guangdong/partner.js';
import { nationalPartner } from './national/partner.js';
import type { Routes } from '../src/domain/routing.js';
import { PARTNER_ID } from '../src/domain/transfer.js';
import { UnknownPartnerError, type PartnerConfigBase, type PartnerDescriptor } from './partner.js';

export { UnknownPartnerError };
export type { PartnerDescriptor };

export const BUILT_IN_PARTNERS: readonly PartnerDescriptor<PartnerConfigBase>[] = [
  nationalPartner,
  guangdongPartner,
  fujianPartner,
];

const ENV_PREFIX = /^[A-Z][A-Z0-9_]{1,31}$/;

export class PartnerRegistry {
  private readonly byId: ReadonlyMap<string, PartnerDescriptor<PartnerConfigBase>>;

  /** Checks the descriptors against each other: a clash is a programming error, refused at start. */
  constructor(descriptors: readonly PartnerDescriptor<PartnerConfigBase>[] = BUILT_IN_PARTNERS) {
    const problems: string[] = [];
    const seen = (what: string, values: string[]) => {
      const dup = values.filter((v, i) => values.indexOf(v) !== i);
      if (dup.length) problems.push(`${what} used twice: ${[...new Set(dup)].join(', ')}`);
    };
    for (const d of descriptors) {
      if (!PARTNER_ID.test(d.id)) problems.push(`partner id "${d.id}" must match ${String(PARTNER_ID)}`);
      if (!ENV_PREFIX.test(d.envPrefix)) problems.push(`${d.id}: envPrefix must match ${String(ENV_PREFIX)}`);
    }
    seen(
      'partner id',
      descriptors.map((d) => d.id),
    );
    seen(
      'envPrefix',
      descriptors.map((d) => d.envPrefix),
    );
    seen(
      'queue',
      descriptors.map((d) => d.queue),
    );
    seen(
      'province',
      descriptors.flatMap((d) => (d.provinces === 'rest' ? [] : [...d.provinces])),
    );
    const rest = descriptors.filter((d) => d.provinces === 'rest');
    if (rest.length !== 1)
      problems.push(`exactly one partner serves the rest of the provinces, not ${rest.length}`);
    if (problems.length) throw new Error(`partner registry: ${problems.join('; ')}`);
    this.byId = new Map(descriptors.map((d) => [d.id, d]));
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  all(): PartnerDescriptor<PartnerConfigBase>[] {
    return [...this.byId.values()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): PartnerDescriptor<PartnerConfigBase> {
    const d = this.byId.get(id);
    if (!d) throw new UnknownPartnerError(id, this.ids);
    return d;
  }

  /** The partner that serves every destination no other partner claims. */
  get rest(): string {
    return this.all().find((d) => d.provinces === 'rest')?.id ?? '';
  }

  /** The default routing: each partner's own codes, and the partner that serves the rest. */
  routes(): Routes {
    return { table: this.defaultRoutes(), rest: this.rest };
  }

  /** The default routing table: province code → partner id, for the codes partners claim. */
  defaultRoutes(): Record<string, string> {
    return Object.fromEntries(
      this.all().flatMap((d) => (d.provinces === 'rest' ? [] : d.provinces.map((code) => [code, d.id]))),
    );
  }
}

export const builtInPartners = new PartnerRegistry();
