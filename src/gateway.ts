/**
 * The composition root: builds every part from the configuration and starts what the role asks for.
 * `api` serves HTTP; `worker` runs the queue consumers; `all` does both (the demo and tests). The outbox
 * relay runs in every role, so any surviving process heals a crash in another.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { NotificationProducer } from '../queues/notify-producer.js';
import {
  startNotificationWorker,
  type NotificationWorker,
  type NotificationWorkerOptions,
} from '../queues/notify-worker.js';
import { DeliveryProducer } from '../queues/producer.js';
import { createMaintenanceQueue, startMaintenance, type Maintenance } from '../queues/schedulers.js';
import { startDeliveryWorkers, type DeliveryWorkers } from '../queues/workers.js';
import { BackgroundTasks } from './background.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/index.js';
import { PiiCipher } from './crypto/pii.js';
import { createApp } from './http/app.js';
import { answerClientErrors } from './http/client-errors.js';
import { createWorkerApp } from './http/worker-app.js';
import { OrgCache } from './delivery/org-cache.js';
import { Metrics } from './metrics.js';
import { Authenticator } from './http/auth.js';
import { breakerReadiness, redisReadiness } from './http/health.js';
import { createLogger, type Logger } from './log.js';
import { NotificationSender } from './notify/sender.js';
import { keyspace } from './redis-topology.js';
import { primaryOnly, ReplicaAcks, type Durability } from './store/replicas.js';
import { createRedis, RedisHealth, TopologyWatch, type RedisClient } from './redis.js';
import { buildPartners, type Partners } from './partners.js';
import { TransferStore } from './store/transfer-store.js';
import type { ActionDeps } from './usecases/cancel-retry.js';
import type { DeliveryDeps } from './usecases/deliver-transfer.js';
import { DeliveryWatchdog } from './usecases/delivery-watchdog.js';
import { RetentionSweep } from './usecases/retention.js';
import { RetentionStore } from './store/retention-store.js';
import { QueuedTransferJobs } from '../queues/transfer-jobs.js';
import type { LocalReportDeps } from './usecases/local-reports.js';
import type { ReconcileDeps } from './usecases/reconcile.js';
import { builtInPartners, type PartnerRegistry } from '../adapters/registry.js';
import type { TransferRoutesDeps } from './http/transfers/routes.js';
import { OutboxRelay } from './usecases/outbox-relay.js';
import { Transitions } from './usecases/transitions.js';

export interface GatewayOptions {
  /** The partners (default: the built-in ones); the configuration must have been loaded for them. */
  registry?: PartnerRegistry;
  clock?: Clock;
  log?: Logger;
  /** Tuning of the Beijing notification worker (tests shorten the backoff). */
  notify?: Pick<NotificationWorkerOptions, 'concurrency' | 'backoffBaseMs' | 'backoffMaxMs'> & {
    timeoutMs?: number;
  };
}

export interface Gateway {
  /** Base URL of the HTTP server: the API, or on a worker only health, readiness and metrics. */
  url: string;
  /** The HTTP application, when the role serves HTTP (tests read its routes). */
  app?: Express;
  config: Config;
  redis: RedisClient;
  store: TransferStore;
  producer: DeliveryProducer;
  notifications: NotificationProducer;
  transitions: Transitions;
  cipher: PiiCipher;
  relay: OutboxRelay;
  /** Delivers notifications to Beijing; runs when ROLE is worker or all. */
  notifyWorker?: NotificationWorker;
  partners: Partners;
  delivery: DeliveryDeps;
  /** Delivery workers and periodic maintenance; run when ROLE is worker or all. */
  deliveryWorkers?: DeliveryWorkers;
  maintenance?: Maintenance;
  reconcile: ReconcileDeps;
  localReports: LocalReportDeps;
  watchdog: DeliveryWatchdog;
  retention: RetentionSweep;
  retentionStore: RetentionStore;
  log: Logger;
  close(): Promise<void>;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.log ?? createLogger(config.LOG_LEVEL, { role: config.ROLE });
  const clock = options.clock ?? systemClock;
  const health = new RedisHealth(log);
  const keys = keyspace(config.redis, config.REDIS_PREFIX);
  const redis = health.watch(createRedis(config.redis, 'api'), 'store');
  const queueConnection = health.watch(createRedis(config.redis, 'worker'), 'queues');
  // Producers (adding jobs on the request path) share an auto-pipelined connection of their own.
  const producerConnection = health.watch(createRedis(config.redis, 'api'), 'producer');
  // REDIS_MIN_REPLICAS_ACK ≥ 1: requests confirm their writes through a connection of its own, whose
  // WAIT never holds up the pipelined ones.
  const ackConnection =
    config.REDIS_MIN_REPLICAS_ACK > 0
      ? health.watch(
          createRedis(config.redis, 'api', { enableAutoPipelining: false, connectionName: 'tgw-acks' }),
          'acks',
        )
      : undefined;
  const topology = new TopologyWatch(config.redis.kind, redis, log);
  const acks = ackConnection
    ? new ReplicaAcks(
        ackConnection,
        `${keys.store}:replicas-ack`,
        config.REDIS_MIN_REPLICAS_ACK,
        config.REDIS_REPLICAS_ACK_TIMEOUT_MS,
      )
    : undefined;
  const durability: Durability = acks ?? primaryOnly;
  const registry = options.registry ?? builtInPartners;
  const store = new TransferStore(redis, keys.store, registry.ids);
  const producer = new DeliveryProducer(producerConnection, keys, registry.all());
  const notifications = new NotificationProducer(producerConnection, keys);
  const transitions = new Transitions(store, notifications, log);
  const cipher = new PiiCipher(config.PII_KEYS);
  const background = new BackgroundTasks();
  const intake: TransferRoutesDeps = {
    store,
    cipher,
    queue: producer,
    clock,
    log,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_HOURS * 3600,
    background,
    durability,
    routes: config.routes,
    isPartner: (id) => registry.has(id),
  };
  const relay = new OutboxRelay(store, producer, notifications, clock, log, {
    graceMs: config.OUTBOX_GRACE_MS,
    intervalMs: config.OUTBOX_SWEEP_MS,
    durability,
  });
  // The dashboard and the metrics show the maintenance queue even where no maintenance worker runs.
  const maintenanceQueue = createMaintenanceQueue(queueConnection, keys);
  const deliveryQueues = Object.values(producer.queues);
  const metrics = new Metrics({
    store,
    partners: registry.ids,
    queues: [...deliveryQueues, notifications.queue, maintenanceQueue],
    notifyQueue: notifications.queue,
    redis: health,
    topology,
    ...(acks ? { replicaAcks: acks.stats } : {}),
  });
  const partners = buildPartners(config, registry, redis, log, metrics);
  for (const p of partners.all()) p.caller.onStateChange((state) => metrics.breakerChanged(p.id, state));
  // Destinations resolved once in a while per process, for delivery and the API's checks alike.
  const orgCache = new OrgCache();
  const delivery: DeliveryDeps = {
    orgCache,
    store,
    transitions,
    cipher,
    partners,
    clock,
    log,
    settings: {
      maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
      backoffBaseMs: config.DELIVERY_BACKOFF_BASE_MS,
      backoffMaxMs: config.DELIVERY_BACKOFF_MAX_MS,
      localReportDueDays: config.LOCAL_REPORT_DUE_DAYS,
      maxCrashes: config.DELIVERY_MAX_CRASHES,
      maxErrors: config.DELIVERY_MAX_ERRORS,
    },
  };
  const applyDeps = { transitions, clock, partners, localReportDueDays: config.LOCAL_REPORT_DUE_DAYS };
  const reconcile: ReconcileDeps = {
    ...applyDeps,
    store,
    log,
    staleAfterMs: config.RECONCILE_STALE_AFTER_MS,
  };
  const localReports: LocalReportDeps = {
    store,
    partners,
    transitions,
    clock,
    log,
    reminderDays: config.LOCAL_REPORT_REMINDER_DAYS,
    dueDays: config.LOCAL_REPORT_DUE_DAYS,
  };
  const watchdog = new DeliveryWatchdog(
    store,
    transitions,
    producer,
    clock,
    log,
    config.WATCHDOG_MIN_AGE_MS,
    config.DELIVERY_MAX_ATTEMPTS,
  );
  const actions: ActionDeps = { store, transitions, queue: producer, partners, clock };
  const retentionStore = new RetentionStore(redis, store);
  const retention = new RetentionSweep({
    store,
    retention: retentionStore,
    cipher,
    disk: retentionStore,
    jobs: new QueuedTransferJobs(producer.queues, notifications.queue),
    clock,
    log,
    targets: registry.ids,
    settings: {
      piiRetentionDays: config.PII_RETENTION_DAYS,
      recordRetentionDays: config.RECORD_RETENTION_DAYS,
      reminderDays: config.LOCAL_REPORT_REMINDER_DAYS,
    },
  });
  metrics.watchRetention(retention);

  let httpApp: Express;
  // BullMQ classes report their connections' errors as events: an outage is logged once, by health.
  for (const q of [...deliveryQueues, notifications.queue, maintenanceQueue]) {
    q.on('error', (err) => {
      if (!health.noteOutage(`queue:${q.name}`, err)) log.error({ err, queue: q.name }, 'queue error');
    });
  }
  const readiness = [
    redisReadiness(redis, health, topology),
    breakerReadiness(() =>
      Object.fromEntries(partners.all().map((p) => [p.id, `breaker ${p.caller.state}`])),
    ),
  ];
  if (config.ROLE === 'worker') {
    // Workers serve no API, but probes and Prometheus still need them: health, readiness, metrics.
    httpApp = createWorkerApp({ readiness, metrics, log });
  } else {
    httpApp = createApp({
      metrics,
      intake,
      auth: new Authenticator(config.API_KEYS),
      log,
      readiness,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
      notifications: { queue: notifications.queue, store },
      actions,
      orgs: { partners, routes: config.routes, orgCache },
      callbacks: {
        ...applyDeps,
        store,
        log,
        secretsOf: (target) => config.partners[target]?.callbackSecrets ?? [],
        durability,
        onOutcome: (target, outcome) => metrics.callbacks.inc({ target, outcome }),
      },
      dashboard: {
        queues: [
          ...partners.all().map((p) => ({
            queue: producer.queue(p.id),
            description: `Deliveries to the ${p.label}`,
          })),
          { queue: notifications.queue, description: 'State-change notifications to the Beijing system' },
          {
            queue: maintenanceQueue,
            description:
              'Reconciliation, local-report tracking, the delivery watchdog and the retention sweep',
          },
        ],
        user: config.OPS_USER,
        password: config.OPS_PASSWORD,
        readOnly: config.DASHBOARD_READ_ONLY,
      },
      ops: {
        queues: producer,
        partners,
        log,
        retention,
        store,
        retentionStore,
        idempotencyTtlHours: config.IDEMPOTENCY_TTL_HOURS,
      },
      store: health,
    });
  }
  const app = httpApp;
  // Every request has a deadline for arriving whole; the check runs each second rather than Node's
  // default 30 s, so a client that stops sending mid-body loses its socket on time.
  const server: Server = createServer(
    {
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 10_000),
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info({ url, role: config.ROLE }, 'gateway listening');
  let notifyWorker: NotificationWorker | undefined;
  const runs = (group: Config['WORKERS'][number]) => config.ROLE !== 'api' && config.WORKERS.includes(group);
  if (runs('notify')) {
    const { timeoutMs, ...tuning } = options.notify ?? {};
    const sender = new NotificationSender({
      url: config.NOTIFY_URL,
      secret: config.NOTIFY_SECRET,
      timeoutMs,
    });
    notifyWorker = startNotificationWorker(
      { store, sender, log },
      {
        connection: queueConnection,
        keys,
        lockMs: config.JOB_LOCK_MS,
        outages: health,
        ...tuning,
      },
    );
    metrics.watchWorker(notifyWorker.worker);
  }
  let deliveryWorkers: DeliveryWorkers | undefined;
  let maintenance: Maintenance | undefined;
  if (runs('delivery')) {
    deliveryWorkers = startDeliveryWorkers(delivery, {
      metrics,
      connection: queueConnection,
      keys,
      concurrency: config.DELIVERY_CONCURRENCY,
      breakerResetMs: config.BREAKER_RESET_MS,
      lockMs: config.JOB_LOCK_MS,
      outages: health,
    });
  }
  if (runs('maintenance')) {
    maintenance = await startMaintenance(
      { reconcile, localReports, watchdog, retention },
      {
        reconcileMs: config.RECONCILE_INTERVAL_MS,
        localReportsMs: config.LOCAL_REPORT_CHECK_MS,
        watchdogMs: config.WATCHDOG_INTERVAL_MS,
        retentionMs: config.RETENTION_SWEEP_MS,
      },
      {
        connection: queueConnection,
        keys,
        log,
        lockMs: config.JOB_LOCK_MS,
        outages: health,
      },
    );
    metrics.watchWorker(maintenance.worker);
  }
  relay.start();

  return {
    url,
    app: httpApp,
    config,
    redis,
    store,
    producer,
    notifications,
    transitions,
    cipher,
    relay,
    notifyWorker,
    partners,
    delivery,
    deliveryWorkers,
    maintenance,
    reconcile,
    localReports,
    watchdog,
    retention,
    retentionStore,
    log,
    async close() {
      // Stop accepting, let requests in flight finish (idle keep-alive sockets close at once), and
      // cut whatever is still open after a grace period.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(grace);
      await background.drain();
      await relay.stop();
      await Promise.all([notifyWorker?.close(), deliveryWorkers?.close(), maintenance?.close()]);
      partners.shutdown();
      await Promise.all([producer.close(), notifications.close(), maintenanceQueue.close()]);
      await Promise.all([
        redis.quit(),
        queueConnection.quit(),
        producerConnection.quit(),
        ...(ackConnection ? [ackConnection.quit()] : []),
      ]);
    },
  };
}
