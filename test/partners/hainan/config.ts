/** Configuration of the hainan adapter (a partner that lives in the tests), parsed once at start. */
import { z } from 'zod';

export const hainanConfigSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Sent as the `ak` form field of every request. */
  accessKey: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, '4–64 letters, digits, _ or -'),
  /** Key of the HMAC-SHA256 request signature (X-HN-Signature). */
  secretKey: z.string().min(24),
  timeoutMs: z.coerce.number().int().min(1).max(120_000).default(5000),
});

export type HainanConfig = z.infer<typeof hainanConfigSchema>;
export type HainanConfigInput = z.input<typeof hainanConfigSchema>;
