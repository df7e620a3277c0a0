/**
 * The composition root: builds every part from the configuration and starts what the role asks for.
 * `api` serves HTTP; `worker` runs the queue consumers; `all` does both (the demo and tests). The outbox
 * relay runs in every role, so any surviving process heals a crash in another.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationProducer } from '../queues/notify-producer.js';
import {
  startNotificationWorker,
  type NotificationWorker,
  type NotificationWorkerOptions,
} from '../queues/notify-worker.js';
import { DeliveryProducer } from '../queues/producer.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/index.js';
import { PiiCipher } from './crypto/pii.js';
import { createApp } from './http/app.js';
import { Authenticator } from './http/auth.js';
import { redisReadiness } from './http/health.js';
import { createLogger, type Logger } from './log.js';
import { NotificationSender } from './notify/sender.js';
import { createRedis, type Redis } from './redis.js';
import { TransferStore } from './store/transfer-store.js';
import type { IntakeDeps } from './usecases/create-transfer.js';
import { OutboxRelay } from './usecases/outbox-relay.js';
import { Transitions } from './usecases/transitions.js';

export interface GatewayOptions {
  clock?: Clock;
  log?: Logger;
  /** Tuning of the Beijing notification worker (tests shorten the backoff). */
  notify?: Pick<NotificationWorkerOptions, 'concurrency' | 'backoffBaseMs' | 'backoffMaxMs'> & {
    timeoutMs?: number;
  };
}

export interface Gateway {
  /** Base URL of the HTTP server, when the role serves HTTP. */
  url?: string;
  config: Config;
  redis: Redis;
  store: TransferStore;
  producer: DeliveryProducer;
  notifications: NotificationProducer;
  transitions: Transitions;
  cipher: PiiCipher;
  relay: OutboxRelay;
  /** Delivers notifications to Beijing; runs when ROLE is worker or all. */
  notifyWorker?: NotificationWorker;
  log: Logger;
  close(): Promise<void>;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.log ?? createLogger(config.LOG_LEVEL, { role: config.ROLE });
  const clock = options.clock ?? systemClock;
  const redis = createRedis(config.REDIS_URL, 'api');
  const queueConnection = createRedis(config.REDIS_URL, 'worker');
  const store = new TransferStore(redis, config.REDIS_PREFIX);
  const producer = new DeliveryProducer(queueConnection, config.REDIS_PREFIX);
  const notifications = new NotificationProducer(queueConnection, config.REDIS_PREFIX);
  const transitions = new Transitions(store, notifications, log);
  const cipher = new PiiCipher(config.PII_KEYS);
  const intake: IntakeDeps = {
    store,
    cipher,
    queue: producer,
    clock,
    log,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_HOURS * 3600,
  };
  const relay = new OutboxRelay(store, producer, notifications, clock, log, {
    graceMs: config.OUTBOX_GRACE_MS,
    intervalMs: config.OUTBOX_SWEEP_MS,
  });

  let server: Server | undefined;
  let url: string | undefined;
  if (config.ROLE !== 'worker') {
    const app = createApp({
      intake,
      auth: new Authenticator(config.API_KEYS),
      log,
      readiness: [redisReadiness(redis)],
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
      notifications: { queue: notifications.queue, store },
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    const { port } = server.address() as AddressInfo;
    url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    log.info({ url }, 'gateway listening');
  }
  let notifyWorker: NotificationWorker | undefined;
  if (config.ROLE !== 'api') {
    const { timeoutMs, ...tuning } = options.notify ?? {};
    const sender = new NotificationSender({
      url: config.NOTIFY_URL,
      secret: config.NOTIFY_SECRET,
      timeoutMs,
    });
    notifyWorker = startNotificationWorker(
      { store, sender, log },
      { connection: queueConnection, prefix: config.REDIS_PREFIX, ...tuning },
    );
  }
  relay.start();

  return {
    url,
    config,
    redis,
    store,
    producer,
    notifications,
    transitions,
    cipher,
    relay,
    notifyWorker,
    log,
    async close() {
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeAllConnections();
      }
      await relay.stop();
      await notifyWorker?.close();
      await Promise.all([producer.close(), notifications.close()]);
      await Promise.all([redis.quit(), queueConnection.quit()]);
    },
  };
}
