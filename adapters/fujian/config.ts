/** Configuration of the fujian adapter, parsed once at start by the gateway's config. */
import { z } from 'zod';

export const fujianConfigSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  appId: z.string().min(1),
  /** Key of the HMAC-SM3 signatures, ours and Fujian's answers'. */
  appKey: z.string().min(16),
  timeoutMs: z.coerce.number().int().min(1).max(120_000).default(5000),
});

export type FujianConfig = z.infer<typeof fujianConfigSchema>;
export type FujianConfigInput = z.input<typeof fujianConfigSchema>;
