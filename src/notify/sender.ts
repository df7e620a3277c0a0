/**
 * Sends one notification to the Beijing system, signed per Standard Webhooks with the gateway's own
 * secret. The `webhook-id` is derived from (transfer, seq), so every retry of the same notification
 * carries the same id and Beijing can drop a redelivery; the timestamp is fresh per attempt, because
 * receivers refuse signatures older than five minutes and retries run for hours.
 */
import type { TransferState } from '../domain/transfer.js';
import { webhookHeaders } from '../webhooks/standard-webhooks.js';

/** What goes out: the stored notification plus the transfer's Beijing reference. No personal data. */
export interface OutgoingNotification {
  type: string;
  transferId: string;
  externalRef: string;
  seq: number;
  state: TransferState;
  previousState: TransferState;
  at: string;
  detail: Record<string, unknown>;
}

/** Beijing did not acknowledge. `status` is absent for network errors and timeouts. */
export class NotificationDeliveryError extends Error {
  readonly status: number | undefined;
  /** From a Retry-After header, when Beijing asked us to wait. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'NotificationDeliveryError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface NotificationSenderOptions {
  url: string;
  /** `whsec_<base64>` */
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

export function webhookIdOf(transferId: string, seq: number): string {
  return `msg_${transferId}_${seq}`;
}

/** The JSON body, fields in a fixed order. */
export function notificationBody(n: OutgoingNotification): string {
  const { transferId, externalRef, state, previousState, at, detail, seq } = n;
  return JSON.stringify({
    type: n.type,
    data: { transferId, externalRef, state, previousState, at, detail, seq },
  });
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export class NotificationSender {
  private readonly url: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;

  constructor(options: NotificationSenderOptions) {
    this.url = options.url;
    this.secret = options.secret;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
  }

  /** Resolves on a 2xx; throws NotificationDeliveryError otherwise. */
  async send(n: OutgoingNotification): Promise<void> {
    const body = notificationBody(n);
    const now = this.now();
    let res: Response;
    try {
      res = await this.fetch(this.url, {
        method: 'POST',
        headers: {
          ...webhookHeaders(this.secret, webhookIdOf(n.transferId, n.seq), body, now),
          'content-type': 'application/json',
          'user-agent': 'transfer-gateway',
        },
        body,
        // A redirect is not an acknowledgement, and the signed body goes only where it is configured to.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      throw new NotificationDeliveryError(
        timedOut ? `no answer within ${this.timeoutMs} ms` : `could not reach the Beijing system`,
        { cause: err },
      );
    }
    // Release the connection; the answer's content means nothing to us.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return;
    throw new NotificationDeliveryError(`the Beijing system answered ${res.status}`, {
      status: res.status,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after'), now),
    });
  }
}
