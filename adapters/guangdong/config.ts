/** Configuration of the guangdong adapter, parsed once at start by the gateway's config. */
import { z } from 'zod';

export const guangdongConfigSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  appId: z.string().min(1),
  /** Key of the HMAC-SHA256 request signature. */
  appSecret: z.string().min(16),
  timeoutMs: z.coerce.number().int().min(1).max(120_000).default(5000),
});

export type GuangdongConfig = z.infer<typeof guangdongConfigSchema>;
export type GuangdongConfigInput = z.input<typeof guangdongConfigSchema>;
