/**
 * Posts Standard-Webhooks-signed callbacks to the gateway the way a partner would: in order per
 * application, the same webhook-id on every retry (so the gateway can dedupe), a few retries with
 * backoff on network errors and 5xx, then give up, log and keep the record. A gateway that is down
 * never crashes the simulator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Target } from '../../src/domain/transfer.js';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import type { CallbackDelivery, SimLogger } from './types.js';

export interface CallbackMessage {
  requestId: string;
  webhookId: string;
  type: string;
  data: Record<string, unknown>;
}

export interface CallbackSenderOptions {
  target: Target;
  gatewayUrl: string;
  secret: string;
  attempts: number;
  baseDelayMs: number;
  logger: SimLogger;
  log: CallbackDelivery[];
}

export class CallbackSender {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly options: CallbackSenderOptions) {}

  /** Queues a message behind earlier ones for the same application. */
  send(message: CallbackMessage): void {
    const previous = this.chains.get(message.requestId) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(message));
    this.chains.set(message.requestId, next);
    void next.finally(() => {
      if (this.chains.get(message.requestId) === next) this.chains.delete(message.requestId);
    });
  }

  async settle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  close(): void {
    this.stop.abort();
  }

  private async deliver(message: CallbackMessage): Promise<void> {
    const { target, gatewayUrl, secret, attempts, baseDelayMs, logger, log } = this.options;
    const url = `${gatewayUrl.replace(/\/+$/, '')}/v1/callbacks/${target}`;
    const body = JSON.stringify({ type: message.type, data: message.data });
    const entry: CallbackDelivery = {
      webhookId: message.webhookId,
      type: message.type,
      requestId: message.requestId,
      outcome: 'failed',
      attempts: 0,
    };
    log.push(entry);
    for (let attempt = 1; attempt <= attempts && !this.stop.signal.aborted; attempt++) {
      entry.attempts = attempt;
      try {
        const res = await fetch(url, {
          method: 'POST',
          // Signed at each attempt: a retry minutes later must not carry a stale timestamp.
          headers: { 'content-type': 'application/json', ...webhookHeaders(secret, message.webhookId, body) },
          body,
          signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(5000)]),
        });
        await res.body?.cancel();
        entry.status = res.status;
        if (res.ok) {
          entry.outcome = 'delivered';
          return;
        }
        // 4xx is the gateway's considered answer (unknown transfer, invalid transition): no retry.
        if (res.status < 500 && res.status !== 429) {
          entry.outcome = 'refused';
          logger.warn(`${target} simulator: callback ${message.type} refused with ${res.status}`);
          return;
        }
      } catch {
        // network error or timeout: retried below
      }
      if (attempt < attempts) {
        await sleep(baseDelayMs * 2 ** (attempt - 1), undefined, { signal: this.stop.signal }).catch(
          () => undefined,
        );
      }
    }
    logger.warn(`${target} simulator: gave up delivering ${message.type} for ${message.requestId}`);
  }
}
