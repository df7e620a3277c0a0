/** The built-in partners as tests name them: their queues, by partner id. */
import { builtInPartners } from '../../adapters/registry.js';

/** A built-in partner's delivery queue name (from its descriptor). */
export function deliveryQueue(partner: string): string {
  return builtInPartners.get(partner).queue;
}

/** The built-in partners' ids, as a literal tuple for generators and tables in tests. */
export const TARGETS = ['national', 'guangdong', 'fujian'] as const;
export type BuiltInTarget = (typeof TARGETS)[number];
