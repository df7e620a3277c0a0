/** Configuration of the national adapter, parsed once at start by the gateway's config. */
import { z } from 'zod';

export const nationalConfigSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(16),
  timeoutMs: z.coerce.number().int().min(1).max(120_000).default(5000),
  /** Refresh the access token this long before it expires, so no request carries a dying token. */
  tokenRefreshMarginMs: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
});

export type NationalConfig = z.infer<typeof nationalConfigSchema>;
export type NationalConfigInput = z.input<typeof nationalConfigSchema>;
