/**
 * Standard Webhooks (https://www.standardwebhooks.com): sign and verify `v1` HMAC-SHA256 signatures.
 * Pure crypto, no I/O. Used for partner callbacks into the gateway and for the gateway's own
 * notifications to the Beijing system; interop with the reference `standardwebhooks` package is tested.
 *
 * Signed content is `${id}.${timestamp}.${body}`; the key is the base64 part of `whsec_<base64>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type WebhookVerificationReason =
  'MISSING_HEADERS' | 'INVALID_HEADERS' | 'TIMESTAMP_TOO_OLD' | 'TIMESTAMP_TOO_NEW' | 'BAD_SIGNATURE';

/** Refusal of a webhook; `reason` is a stable code, so callers never read the message. */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

// A type alias, not an interface, so it is assignable to a plain header record.
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** Decodes `whsec_<base64>` (the prefix is optional, as in the reference library). */
export function decodeWebhookSecret(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(b64)) throw new TypeError('webhook secret must be whsec_<base64>');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new TypeError('webhook secret is empty');
  return key;
}

function digest(key: Buffer, id: string, timestamp: number, body: string | Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

export interface SignInput {
  secret: string;
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string | Buffer;
}

/** Returns `v1,<base64>` for one secret. */
export function signWebhook({ secret, id, timestamp, body }: SignInput): string {
  return `v1,${digest(decodeWebhookSecret(secret), id, timestamp, body).toString('base64')}`;
}

/** The three headers for a message, signed now (or at `now`). */
export function webhookHeaders(
  secret: string,
  id: string,
  body: string | Buffer,
  now: Date = new Date(),
): WebhookHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook({ secret, id, timestamp, body }),
  };
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyInput {
  /** Every secret currently accepted; any may match, so secrets can rotate without downtime. */
  secrets: readonly string[];
  headers: HeaderBag;
  /** The body exactly as received; re-serialised JSON would not verify. */
  rawBody: string | Buffer;
  now?: Date;
  toleranceSeconds?: number;
}

function header(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = typeof value === 'string' ? value : value?.[0];
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}

/** The decoded `v1` signatures in a `webhook-signature` header; other versions are ignored per spec. */
function v1Signatures(value: string): Buffer[] {
  return value
    .split(' ')
    .map((part) => part.split(','))
    .filter((pair): pair is [string, string] => pair.length === 2 && pair[0] === 'v1' && !!pair[1])
    .map(([, sig]) => sig)
    .filter((sig) => BASE64.test(sig))
    .map((sig) => Buffer.from(sig, 'base64'));
}

/** Verifies a webhook; returns its id and timestamp (Unix seconds) or throws WebhookVerificationError. */
export function verifyWebhook(input: VerifyInput): { id: string; timestamp: number } {
  const { secrets, headers, rawBody, now = new Date(), toleranceSeconds = 300 } = input;
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sig = header(headers, 'webhook-signature');
  if (id === undefined || ts === undefined || sig === undefined) {
    throw new WebhookVerificationError(
      'MISSING_HEADERS',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  }
  if (!/^\d{1,12}$/.test(ts)) {
    throw new WebhookVerificationError('INVALID_HEADERS', 'webhook-timestamp must be Unix seconds');
  }
  const timestamp = Number(ts);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) {
    throw new WebhookVerificationError('TIMESTAMP_TOO_OLD', 'webhook timestamp is too old');
  }
  if (timestamp - nowSeconds > toleranceSeconds) {
    throw new WebhookVerificationError('TIMESTAMP_TOO_NEW', 'webhook timestamp is in the future');
  }
  const passed = v1Signatures(sig);
  for (const secret of secrets) {
    const expected = digest(decodeWebhookSecret(secret), id, timestamp, rawBody);
    // timingSafeEqual throws on unequal lengths; a wrong-length signature can never match anyway.
    if (passed.some((p) => p.length === expected.length && timingSafeEqual(p, expected))) {
      return { id, timestamp };
    }
  }
  throw new WebhookVerificationError('BAD_SIGNATURE', 'no webhook signature matches');
}
