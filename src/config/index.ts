/**
 * Configuration: one zod schema over the environment, parsed once at start. The only module that
 * reads process.env. A bad value stops the process with one message listing every problem.
 */
import { z } from 'zod';
import { builtInPartners, type PartnerRegistry } from '../../adapters/registry.js';
import type { PartnerConfigBase, PartnerDescriptor } from '../../adapters/partner.js';
import { checkRoutes, type Routes } from '../domain/routing.js';
import type { RedisAuth, RedisTopology } from '../redis-topology.js';

const scope = z.enum(['transfers:write', 'transfers:read', 'ops']);
export type Scope = z.infer<typeof scope>;

const apiKey = z.strictObject({
  id: z.string().min(1).max(64),
  /** plain key (≥ 16 chars) or `sha256:<64 hex>` */
  key: z.union([
    z.string().regex(/^sha256:[0-9a-f]{64}$/i, 'sha256:<64 hex digits>'),
    z
      .string()
      .min(16, 'a plain key must have at least 16 characters')
      .refine((k) => !k.startsWith('sha256:'), 'sha256: keys need 64 hex digits'),
  ]),
  scopes: z.array(scope).min(1),
});
export type ApiKeyConfig = z.infer<typeof apiKey>;

const jsonArray = <T extends z.ZodType>(item: T) =>
  z
    .string()
    .transform((raw, ctx): unknown => {
      try {
        return JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
        return z.NEVER;
      }
    })
    .pipe(z.array(item).min(1));

const whsec = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_<base64>');
const whsecList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(whsec).min(1, 'at least one whsec_ secret'));

const piiKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=$/, 'must be <keyId>:<base64 of 32 bytes>')
  .transform((s) => {
    const [id, b64] = s.split(':') as [string, string];
    return { id, key: Buffer.from(b64, 'base64') };
  })
  .refine((k) => k.key.length === 32, 'key must decode to 32 bytes');
const piiKeys = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(piiKey).min(1))
  .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'key ids must be unique');

const jsonObject = z.string().transform((raw, ctx): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
  return z.NEVER;
});

const port = z.coerce.number().int().min(0).max(65535);
/** An unset variable and an empty one mean the same: not given. */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const hostPortList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'each must be host:port')
          .transform((hp) => {
            const at = hp.lastIndexOf(':');
            return { host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hp.slice(at + 1)) };
          })
          .refine((n) => n.port > 0 && n.port < 65536, 'port must be 1–65535'),
      )
      .min(1, 'at least one host:port'),
  );
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const coreSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  /** Which worker groups a worker process runs, so each can be scaled on its own. */
  WORKERS: z
    .string()
    .default('delivery,notify,maintenance')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['delivery', 'notify', 'maintenance'])).min(1)),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  /** Base URL the gateway is reached at, for Location headers and partner callbacks. */
  PUBLIC_URL: z.url().optional(),
  /**
   * The one Redis (`redis://` or `rediss://`). With REDIS_SENTINELS or REDIS_CLUSTER_NODES it is
   * optional and only lends its credentials, TLS (`rediss://`) and, under Sentinel, its database number.
   */
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  /** Sentinel: the sentinels (`host:port,…`) that know the primary named REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: optionalText.pipe(hostPortList.optional()),
  REDIS_SENTINEL_NAME: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
  ),
  REDIS_SENTINEL_PASSWORD: optionalText,
  /** The data nodes' credentials (ACL user and password); they win over any in REDIS_URL. */
  REDIS_USERNAME: optionalText,
  REDIS_PASSWORD: optionalText,
  /** Redis Cluster: some of its nodes (`host:port,…`); the rest are discovered. */
  REDIS_CLUSTER_NODES: optionalText.pipe(hostPortList.optional()),
  /** Intake and callbacks answer only once this many replicas hold the write (Redis WAIT); 503 otherwise. */
  REDIS_MIN_REPLICAS_ACK: z.coerce.number().int().min(0).max(16).default(0),
  /** How long a request waits for those replicas before it answers 503. */
  REDIS_REPLICAS_ACK_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Prefix of every key the gateway writes, so several gateways can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .default('tgw'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  API_KEYS: jsonArray(apiKey),
  NOTIFY_URL: z.url({ protocol: /^https?$/ }),
  NOTIFY_SECRET: whsec,
  OPS_USER: z.string().min(1),
  OPS_PASSWORD: z.string().min(12, 'at least 12 characters'),
  /** The queue dashboard shows queues and jobs but refuses every action that changes them. */
  DASHBOARD_READ_ONLY: bool.default(false),
  PII_KEYS: piiKeys,
  /** Largest accepted request body, in bytes. */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  /** How long an Idempotency-Key is remembered. */
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
  /** Accepted transfers whose job was not confirmed within this time are re-queued by the outbox relay. */
  OUTBOX_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  OUTBOX_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  /**
   * Whole-request deadline: a client that has not sent its complete request (headers and body) by then
   * gets 408 and its socket is closed, so a stalled upload cannot hold a connection for minutes.
   */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(15_000),
  /**
   * How long a worker's lock on a running job lasts (renewed at half-time while it runs). A job whose
   * worker died is taken up again within about twice this time.
   */
  JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** Trust X-Forwarded-* from a reverse proxy (production behind a load balancer). */
  TRUST_PROXY: bool.default(false),

  // --- partners: each partner's own variables come from its descriptor (see partnerSettings) ---
  /** Deadline of one partner request; the request is aborted when it passes. */
  PARTNER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /**
   * Which partner serves which province code, as a JSON object (e.g. {"44":"guangdong","35":"fujian"}).
   * Replaces the default table; codes it does not name go to the partner that serves the rest.
   */
  PROVINCE_ROUTES: jsonObject.optional(),

  // --- delivery ---
  /** Jobs one worker process runs at once, per target. */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
  /** Partner submissions per delivery before the transfer fails with RETRIES_EXHAUSTED. */
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Runs of one transfer's delivery in a row that ended with their worker process dying while it ran
   * the partner call (OOM, crash) before the transfer fails with DELIVERY_CRASH_LOOP. Workers killed
   * for other reasons (a deploy, a node lost) only delay a transfer.
   */
  DELIVERY_MAX_CRASHES: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * Tries of one transfer that failed on our side (data the adapter cannot send, a bug) before it
   * fails with DELIVERY_ERROR. They never count as partner attempts nor against the partner's breaker.
   */
  DELIVERY_MAX_ERRORS: z.coerce.number().int().min(1).max(100).default(3),
  DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(2_000),
  DELIVERY_BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(24 * 3_600_000)
    .default(5 * 60_000),
  BREAKER_ERROR_PERCENT: z.coerce.number().min(1).max(100).default(50),
  BREAKER_VOLUME_THRESHOLD: z.coerce.number().int().min(1).max(10_000).default(10),
  BREAKER_RESET_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** How often the watchdog looks for accepted transfers whose job died, and how old they must be. */
  WATCHDOG_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  WATCHDOG_MIN_AGE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000)
    .default(120_000),

  // --- lifecycle ---
  /** Days a Guangdong/Fujian member has to report locally before the transfer is flagged overdue. */
  LOCAL_REPORT_DUE_DAYS: z.coerce.number().min(0.0001).max(365).default(30),
  /** Days after submission on which Beijing is reminded of a member's pending local report. */
  LOCAL_REPORT_REMINDER_DAYS: z
    .string()
    .default('7,14,21')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map(Number),
    )
    .pipe(z.array(z.number().positive().max(365))),
  LOCAL_REPORT_CHECK_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(24 * 3_600_000)
    .default(60_000),
  /** Ask a partner about a waiting transfer after this long without news (lost callbacks heal). */
  RECONCILE_STALE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(30 * 24 * 3_600_000)
    .default(6 * 3_600_000),
  RECONCILE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(24 * 3_600_000)
    .default(60_000),

  // --- retention (src/domain/retention.ts has every bound and its rule) ---
  /**
   * Days after a transfer reaches a terminal state until its personal data is erased (fractions
   * allowed). Transfers in flight are never purged.
   */
  PII_RETENTION_DAYS: z.coerce.number().min(0.0001).max(3650).default(90),
  /** Days after a transfer reaches a terminal state until its whole record is deleted (≥ the above). */
  RECORD_RETENTION_DAYS: z.coerce.number().min(0.0001).max(3650).default(400),
  /** How often the retention sweep (pack, purge, expire) runs. */
  RETENTION_SWEEP_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(24 * 3_600_000)
    .default(60_000),
});

/** What the gateway knows of one partner from its variables (see the partner's descriptor). */
export interface PartnerSettings {
  id: string;
  /** The partner's adapter configuration, parsed with its own schema (once). */
  config: PartnerConfigBase;
  /** Standard Webhooks secrets its callbacks may be signed with (several during a rotation). */
  callbackSecrets: string[];
  /** Requests per second it accepts from all worker processes together. */
  rateLimit: number;
}

export type CoreConfig = z.infer<typeof coreSchema>;
export type Config = Omit<CoreConfig, 'PROVINCE_ROUTES'> & {
  /** Which Redis the gateway uses: one server, a Sentinel-watched primary, or a cluster. */
  redis: RedisTopology;
  /** Every registered partner's settings, by partner id. */
  partners: Readonly<Record<string, PartnerSettings>>;
  /** Which partner serves which province code (the default table, or PROVINCE_ROUTES). */
  routes: Routes;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const rateLimit = z.coerce.number().positive().max(10_000);

/** The variables one partner is configured by: its own (from its descriptor) and the shared kinds. */
function partnerKeys(d: PartnerDescriptor): { field: string; key: string }[] {
  return [
    ...Object.entries(d.env).map(([field, suffix]) => ({ field, key: `${d.envPrefix}_${suffix}` })),
    { field: 'callbackSecrets', key: `CALLBACK_SECRETS_${d.envPrefix}` },
    { field: 'rateLimit', key: `RATE_LIMIT_${d.envPrefix}` },
  ];
}

/** Every variable name the gateway reads, with the partners of `registry`. */
export function configKeys(registry: PartnerRegistry = builtInPartners): string[] {
  return [
    ...Object.keys(coreSchema.shape),
    ...registry.all().flatMap((d) => partnerKeys(d).map((k) => k.key)),
  ];
}

function partnerSettings(
  d: PartnerDescriptor,
  env: Record<string, string | undefined>,
  timeoutMs: number,
  problems: string[],
): PartnerSettings | undefined {
  const keys = partnerKeys(d);
  const keyOf = (field: string) => keys.find((k) => k.field === field)?.key ?? `${d.envPrefix}_${field}`;
  const input: Record<string, unknown> = { timeoutMs };
  for (const { field, key } of keys) if (field in d.env && env[key] !== undefined) input[field] = env[key];
  const config = d.config.safeParse(input);
  if (!config.success) {
    for (const issue of config.error.issues)
      problems.push(`${keyOf(String(issue.path[0] ?? ''))}: ${issue.message}`);
  }
  const secretsKey = `CALLBACK_SECRETS_${d.envPrefix}`;
  const secrets = whsecList.safeParse(env[secretsKey]);
  if (!secrets.success) problems.push(`${secretsKey}: ${secrets.error.issues[0]?.message ?? 'invalid'}`);
  const rateKey = `RATE_LIMIT_${d.envPrefix}`;
  const rate = rateLimit.safeParse(env[rateKey] ?? d.defaultRateLimit);
  if (!rate.success) problems.push(`${rateKey}: ${rate.error.issues[0]?.message ?? 'invalid'}`);
  if (!config.success || !secrets.success || !rate.success) return undefined;
  return { id: d.id, config: config.data, callbackSecrets: secrets.data, rateLimit: rate.data };
}

/** The Redis topology the variables describe; a contradiction is a problem, never a guess. */
const REDIS_VARIABLES = {
  REDIS_URL: true,
  REDIS_SENTINELS: true,
  REDIS_SENTINEL_NAME: true,
  REDIS_SENTINEL_PASSWORD: true,
  REDIS_USERNAME: true,
  REDIS_PASSWORD: true,
  REDIS_CLUSTER_NODES: true,
} as const;

function redisTopology(
  core: Pick<CoreConfig, keyof typeof REDIS_VARIABLES>,
  problems: string[],
): RedisTopology | undefined {
  const url = core.REDIS_URL ? new URL(core.REDIS_URL) : undefined;
  const username = core.REDIS_USERNAME ?? (url?.username ? decodeURIComponent(url.username) : undefined);
  const password = core.REDIS_PASSWORD ?? (url?.password ? decodeURIComponent(url.password) : undefined);
  const auth: RedisAuth = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: url?.protocol === 'rediss:',
  };
  const db = url && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    problems.push('REDIS_URL: the path must be a database number');
    return undefined;
  }
  if (core.REDIS_SENTINELS && core.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_SENTINELS, REDIS_CLUSTER_NODES: give one of them (Sentinel or Cluster), not both');
    return undefined;
  }
  if (core.REDIS_SENTINELS) {
    if (!core.REDIS_SENTINEL_NAME) {
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor)');
      return undefined;
    }
    return {
      kind: 'sentinel',
      sentinels: core.REDIS_SENTINELS,
      name: core.REDIS_SENTINEL_NAME,
      ...(core.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: core.REDIS_SENTINEL_PASSWORD } : {}),
      auth,
      db,
    };
  }
  if (core.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: only with REDIS_SENTINELS');
  if (core.REDIS_CLUSTER_NODES) {
    if (db !== 0) problems.push('REDIS_URL: Redis Cluster has only database 0');
    return { kind: 'cluster', nodes: core.REDIS_CLUSTER_NODES, auth };
  }
  if (!core.REDIS_URL) {
    problems.push(
      'REDIS_URL: required (or REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES)',
    );
    return undefined;
  }
  if (url && (core.REDIS_USERNAME || core.REDIS_PASSWORD)) {
    if (core.REDIS_USERNAME) url.username = encodeURIComponent(core.REDIS_USERNAME);
    if (core.REDIS_PASSWORD) url.password = encodeURIComponent(core.REDIS_PASSWORD);
    return { kind: 'single', url: url.toString() };
  }
  return { kind: 'single', url: core.REDIS_URL };
}

/**
 * Parses an environment (process.env by default) for the partners of `registry`. Throws ConfigError
 * listing every problem, the core's and every partner's.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  registry: PartnerRegistry = builtInPartners,
): Config {
  const problems: string[] = [];
  const core = coreSchema.safeParse(env);
  if (!core.success) {
    problems.push(...core.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const timeoutMs = core.success ? core.data.PARTNER_TIMEOUT_MS : 5_000;
  const partners: Record<string, PartnerSettings> = {};
  for (const d of registry.all()) {
    const settings = partnerSettings(d, env, timeoutMs, problems);
    if (settings) partners[d.id] = settings;
  }
  if (core.success && core.data.RECORD_RETENTION_DAYS < core.data.PII_RETENTION_DAYS) {
    problems.push(
      'RECORD_RETENTION_DAYS: must be at least PII_RETENTION_DAYS (a record cannot go before its personal data)',
    );
  }
  let routes: Routes | undefined;
  if (core.success) {
    const chosen = core.data.PROVINCE_ROUTES ?? registry.defaultRoutes();
    const checked = checkRoutes(chosen, registry.ids, registry.rest);
    if (checked.ok) routes = checked.routes;
    else problems.push(...checked.problems.map((p) => `PROVINCE_ROUTES: ${p}`));
  }
  // Read on its own, so a missing REDIS_URL is listed with every other problem.
  const redisVars = coreSchema.pick(REDIS_VARIABLES).safeParse(env);
  const redis = redisVars.success ? redisTopology(redisVars.data, problems) : undefined;
  if (problems.length > 0 || !core.success || !routes || !redis) throw new ConfigError(problems);
  const { PROVINCE_ROUTES: _routes, ...rest } = core.data;
  return { ...rest, partners, routes, redis };
}
