/**
 * The operator CLI's own configuration (not the gateway's): where the gateway is and which key to use.
 * Flags win over the environment (TGW_URL, TGW_KEY); an empty variable counts as unset.
 */
import { z } from 'zod';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:3000';

const cliConfigSchema = z.object({
  TGW_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default(DEFAULT_GATEWAY_URL)
    .transform((u) => u.replace(/\/+$/, '')),
  TGW_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{1,512}$/, 'must be 1 to 512 visible ASCII characters')
    .optional(),
});

export interface CliConfig {
  /** Base URL of the gateway, without a trailing slash. */
  url: string;
  /** Bearer key with the ops scope; absent means requests go unauthenticated (and get 401). */
  key: string | undefined;
}

export class CliConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'CliConfigError';
  }
}

const NAMES: Record<string, string> = { TGW_URL: '--url / TGW_URL', TGW_KEY: '--key / TGW_KEY' };

export function loadCliConfig(
  flags: { url?: string | undefined; key?: string | undefined } = {},
  env: Record<string, string | undefined> = process.env,
): CliConfig {
  const set = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const result = cliConfigSchema.safeParse({
    TGW_URL: set(flags.url) ?? set(env.TGW_URL),
    TGW_KEY: set(flags.key) ?? set(env.TGW_KEY),
  });
  if (!result.success) {
    throw new CliConfigError(
      result.error.issues.map((i) => `${NAMES[String(i.path[0])] ?? 'config'}: ${i.message}`),
    );
  }
  return { url: result.data.TGW_URL, key: result.data.TGW_KEY };
}
