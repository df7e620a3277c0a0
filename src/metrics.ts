/**
 * Prometheus metrics, one registry per gateway. Counters and histograms are fed where things happen
 * (partner calls, jobs, callbacks); gauges that describe stored state (transfers by state, queue
 * depth, notification backlog, overdue reports) are read from Redis when Prometheus scrapes, so every
 * API and worker process reports the same truth.
 */
import type { Job, Queue, Worker } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState, CallObserver, PartnerOperation } from './delivery/partner-caller.js';
import { STATES, type Target } from './domain/transfer.js';
import type { TopologyView } from './redis.js';
import { isStoreUnavailable } from './store/errors.js';
import type { ReplicaAckStats } from './store/replicas.js';
import type { TransferStore } from './store/transfer-store.js';
import type { RetentionStatus, RetentionSweep } from './usecases/retention.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

export interface MetricsSources {
  store: TransferStore;
  /** The partner ids (metric labels). */
  partners: readonly Target[];
  queues: readonly Queue[];
  notifyQueue: Queue;
  /** The process's Redis connections (src/redis.ts RedisHealth). */
  redis?: { states(): Record<string, boolean>; readonly outageCount: number };
  /** Which Redis the store writes to, and the primaries it followed (src/redis.ts TopologyWatch). */
  topology?: { view(): TopologyView };
  /** REDIS_MIN_REPLICAS_ACK confirmations (src/store/replicas.ts), when asked for. */
  replicaAcks?: ReplicaAckStats;
}

/**
 * Gauges read from Redis answer from what they last knew while Redis is out of reach: a scrape during
 * an outage still shows the process (and tgw_redis_connected says why the rest is stale).
 */
function tolerant<G>(collect: (this: G) => Promise<void>): (this: G) => Promise<void> {
  return async function (this: G) {
    try {
      await collect.call(this);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
    }
  };
}

export class Metrics implements CallObserver {
  readonly registry = new Registry();
  readonly partnerRequestSeconds: Histogram<'target' | 'operation' | 'outcome'>;
  readonly partnerErrors: Counter<'target' | 'code'>;
  readonly jobSeconds: Histogram<'queue' | 'outcome'>;
  readonly callbacks: Counter<'target' | 'outcome'>;
  readonly breakerState: Gauge<'target'>;
  readonly breakerTransitions: Counter<'target' | 'state'>;
  /** Counts scrapes, so that values read once per scrape (retention status) are read afresh each time. */
  private scrapes = 0;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tgw_process_' });
    // prom-client names these gauges with a counter's `_total` suffix, which Prometheus's own linter
    // (promtool) refuses; the handle/request counts they show are of little use to an operator anyway.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      this.registry.removeSingleMetric(`tgw_process_nodejs_${name}`);
    }

    this.partnerRequestSeconds = new Histogram({
      name: 'tgw_partner_request_duration_seconds',
      help: 'Partner requests by target, operation and outcome (ok or the error code)',
      labelNames: ['target', 'operation', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.partnerErrors = new Counter({
      name: 'tgw_partner_errors_total',
      help: 'Failed partner requests by target and stable error code',
      labelNames: ['target', 'code'],
      registers,
    });
    this.jobSeconds = new Histogram({
      name: 'tgw_job_duration_seconds',
      help: 'Time a job spent in its processor, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.callbacks = new Counter({
      name: 'tgw_callbacks_total',
      help: 'Partner callbacks by outcome: applied, duplicate, ignored, or refused:<reason>',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.breakerState = new Gauge({
      name: 'tgw_breaker_state',
      help: 'Circuit breaker per partner in this process: 0 closed, 1 half-open, 2 open',
      labelNames: ['target'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'tgw_breaker_transitions_total',
      help: 'Circuit breaker state changes in this process',
      labelNames: ['target', 'state'],
      registers,
    });
    for (const t of sources.partners) this.breakerState.set({ target: t }, 0);

    const { store, queues, notifyQueue } = sources;
    new Gauge({
      name: 'tgw_transfers',
      help: 'Transfers by state and target',
      labelNames: ['state', 'target'],
      registers,
      collect: tolerant(async function (this: Gauge<'state' | 'target'>) {
        const counts = await store.countByStateAndTarget(STATES, sources.partners);
        this.reset();
        for (const c of counts) this.set({ state: c.state, target: c.target }, c.count);
      }),
    });
    new Gauge({
      name: 'tgw_queue_jobs',
      help: 'Jobs by queue and job state',
      labelNames: ['queue', 'state'],
      registers,
      collect: tolerant(async function (this: Gauge<'queue' | 'state'>) {
        this.reset();
        for (const q of queues) {
          const counts = await q.getJobCounts(...JOB_STATES);
          for (const s of JOB_STATES) this.set({ queue: q.name, state: s }, counts[s] ?? 0);
        }
      }),
    });
    new Gauge({
      name: 'tgw_notification_backlog',
      help: 'Notifications to Beijing not yet acknowledged, by job state (failed ones wait for a replay)',
      labelNames: ['state'],
      registers,
      collect: tolerant(async function (this: Gauge<'state'>) {
        const counts = await notifyQueue.getJobCounts('waiting', 'delayed', 'active', 'failed');
        this.reset();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      }),
    });
    new Gauge({
      name: 'tgw_notification_oldest_age_seconds',
      help: 'Age of the oldest notification still waiting or retrying (0 when none)',
      registers,
      collect: tolerant(async function (this: Gauge) {
        const [oldest] = await notifyQueue.getJobs(['waiting', 'delayed'], 0, 0, true);
        this.set(oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      }),
    });
    new Gauge({
      name: 'tgw_local_reports_overdue',
      help: 'Guangdong/Fujian transfers whose member is overdue for local reporting',
      registers,
      collect: tolerant(async function (this: Gauge) {
        this.set(await store.overdueCount());
      }),
    });
    const redis = sources.redis;
    if (redis) {
      new Gauge({
        name: 'tgw_redis_connected',
        help: "This process's Redis connections: 1 connected, 0 not (while 0, store-read gauges are stale)",
        labelNames: ['connection'],
        registers,
        collect() {
          for (const [connection, up] of Object.entries(redis.states())) this.set({ connection }, up ? 1 : 0);
        },
      });
      new Gauge({
        name: 'tgw_redis_topology_info',
        help: 'The Redis the store writes to: mode (single, sentinel, cluster), the role its server reports, and the primary (host:port; on a cluster all of them)',
        labelNames: ['mode', 'role', 'primary'],
        registers,
        collect() {
          this.reset();
          const view = sources.topology?.view();
          if (view) this.set({ mode: view.mode, role: view.role, primary: view.primary }, 1);
        },
      });
      new Counter({
        name: 'tgw_redis_failovers_total',
        help: 'Changes of Redis primary this process followed without a restart (failovers, reshardings)',
        registers,
        collect() {
          this.reset();
          this.inc(sources.topology?.view().failovers ?? 0);
        },
      });
      new Counter({
        name: 'tgw_redis_replica_acks_total',
        help: 'Writes REDIS_MIN_REPLICAS_ACK replicas confirmed, or did not in time (refused: a request answered 503, or the outbox relay waiting to queue)',
        labelNames: ['outcome'],
        registers,
        collect() {
          this.reset();
          const acks = sources.replicaAcks;
          this.inc({ outcome: 'confirmed' }, acks?.confirmed ?? 0);
          this.inc({ outcome: 'refused' }, acks?.refused ?? 0);
        },
      });
      new Counter({
        name: 'tgw_redis_outages_total',
        help: 'Redis outages this process lived through (each logged once when it began and when it ended)',
        registers,
        collect() {
          this.reset();
          this.inc(redis.outageCount);
        },
      });
    }
  }

  /**
   * Retention, read from Redis when scraped (every process answers the same): totals of the sweep's
   * steps, its last run, and what is due. One read of the status serves every metric of a scrape.
   */
  watchRetention(source: Pick<RetentionSweep, 'status'>): void {
    const registers = [this.registry];
    let cached: { scrape: number; status: Promise<RetentionStatus> } | undefined;
    const status = () => {
      if (cached?.scrape !== this.scrapes) cached = { scrape: this.scrapes, status: source.status() };
      return cached.status;
    };
    for (const [step, help] of [
      ['packed', 'Finished transfers packed into their compact form'],
      [
        'purged',
        'Finished transfers whose personal data was erased (PII_RETENTION_DAYS after they finished)',
      ],
      ['expired', 'Finished transfers deleted (RECORD_RETENTION_DAYS after they finished)'],
      ['aofRewrites', 'Append-only file rewrites the gateway asked Redis for after a purge'],
    ] as const) {
      const name = step === 'aofRewrites' ? 'aof_rewrites' : step;
      new Counter({
        name: `tgw_retention_${name}_total`,
        help,
        registers,
        collect: tolerant(async function (this: Counter) {
          const total = (await status()).totals[step];
          this.reset();
          this.inc(total);
        }),
      });
    }
    new Gauge({
      name: 'tgw_retention_last_run_timestamp_seconds',
      help: 'When the retention sweep last ran, in business time (0 before the first run)',
      registers,
      collect: tolerant(async function (this: Gauge) {
        const last = (await status()).lastRun;
        this.set(last ? Date.parse(last.at) / 1000 : 0);
      }),
    });
    new Gauge({
      name: 'tgw_retention_due',
      help: 'Finished transfers whose retention step (pack, purge, expire) is due: the next run takes them',
      labelNames: ['step'],
      registers,
      collect: tolerant(async function (this: Gauge<'step'>) {
        const due = (await status()).due;
        for (const [step, n] of Object.entries(due)) this.set({ step }, n);
      }),
    });
    new Gauge({
      name: 'tgw_retention_aof_rewrite_pending',
      help: '1 while purged data waits for Redis to rewrite its append-only file',
      registers,
      collect: tolerant(async function (this: Gauge) {
        this.set((await status()).disk.aofRewriteDueSince ? 1 : 0);
      }),
    });
  }

  /** Times every job a worker finishes, by queue and outcome. */
  watchWorker(worker: Worker): void {
    const observe = (job: Job | undefined, outcome: string) => {
      if (job?.processedOn && job.finishedOn) {
        this.jobSeconds.observe({ queue: worker.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
      }
    };
    worker.on('completed', (job) => observe(job, 'completed'));
    worker.on('failed', (job) => observe(job, 'failed'));
  }

  /** CallObserver: every partner request that was sent. */
  observe(target: Target, operation: PartnerOperation, outcome: string, seconds: number): void {
    this.partnerRequestSeconds.observe({ target, operation, outcome }, seconds);
    if (outcome !== 'ok') this.partnerErrors.inc({ target, code: outcome });
  }

  breakerChanged(target: Target, state: BreakerState): void {
    this.breakerState.set({ target }, BREAKER_VALUE[state]);
    this.breakerTransitions.inc({ target, state });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.scrapes += 1;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
