/**
 * What every chaos scenario shares: its size (CHAOS_SCALE=quick for CI, full on demand), a client that
 * behaves as Beijing's system should (every request has an Idempotency-Key; a 503 or a dropped
 * connection is retried with the same key after Retry-After), and the reckoning at the end: every
 * transfer the gateway acknowledged must be at its partner exactly once, with attempts that never
 * undercount what the partner received. Figures are printed and kept under test-artifacts/chaos/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from '../../src/redis.js';
import type { SimRecord } from '../../adapters/sim/types.js';
import type { Target } from '../../src/domain/transfer.js';
import { TransferStore, type StoredTransfer } from '../../src/store/transfer-store.js';
import { transferBody } from '../helpers/bodies.js';
import { ROOT, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { KEYS } from '../helpers/gateway.js';
import { TARGETS, type BuiltInTarget } from '../helpers/partners.js';

export const FULL = process.env.CHAOS_SCALE === 'full';
/** quick: a few hundred transfers (CI); full: the sizes the issue measured. */
export const size = (quick: number, full: number): number => (FULL ? full : quick);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Org {
  fullName: string;
  provinceCode: string;
}
function orgs(target: Target, count: number): Org[] {
  const all = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'orgs', `${target}.json`), 'utf8')) as Org[];
  return all.filter((o) => o.provinceCode !== '11').slice(0, count);
}
/** Real destinations from each partner's directory, so name checks and partner lookups succeed. */
export const DESTINATIONS: Record<BuiltInTarget, Org[]> = {
  national: orgs('national', 25),
  guangdong: orgs('guangdong', 15),
  fujian: orgs('fujian', 15),
};

/** Transfer bodies spread over the targets (or all to one), each with its own ID number. */
export function body(n: number, target?: BuiltInTarget): Record<string, unknown> {
  const t = target ?? TARGETS[n % 3]!;
  const list = DESTINATIONS[t];
  const org = list[n % list.length]!;
  return transferBody(
    {
      externalRef: `BJ-CHAOS-${n}`,
      destination: { provinceCode: org.provinceCode, orgFullName: org.fullName },
    },
    n,
  );
}

export interface Post {
  key: string;
  n: number;
  id?: string;
  /** Every status answered, in order (0 = connection failed). */
  statuses: number[];
}

/**
 * Beijing's side: posts transfers with at most `concurrency` in flight, retrying 503s and dropped
 * connections with the same Idempotency-Key until acknowledged (202) or refused with another 4xx.
 */
export class Client {
  readonly posts: Post[] = [];
  readonly statusCounts = new Map<number, number>();

  constructor(
    private readonly url: () => string,
    private readonly runId: string,
    /** The body of transfer n (default: a real destination of each partner in turn). */
    private readonly bodyOf: (n: number, target?: BuiltInTarget) => Record<string, unknown> = body,
  ) {}

  private count(status: number): void {
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
  }

  async postOne(n: number, target?: BuiltInTarget, deadlineMs = 120_000): Promise<Post> {
    const post: Post = { key: `${this.runId}-${n}`, n, statuses: [] };
    this.posts.push(post);
    const payload = JSON.stringify(this.bodyOf(n, target));
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      let status = 0;
      let retryAfter = 0.5;
      try {
        const res = await fetch(`${this.url()}/v1/transfers`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEYS.beijing}`,
            'content-type': 'application/json',
            'idempotency-key': post.key,
          },
          body: payload,
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        const answer = (await res.json().catch(() => ({}))) as { id?: string };
        if (status === 202) post.id = answer.id;
        retryAfter = Number(res.headers.get('retry-after') ?? '0.5') || 0.5;
      } catch {
        status = 0;
      }
      post.statuses.push(status);
      this.count(status);
      if (status === 202 || (status >= 400 && status < 500)) return post;
      await sleep(Math.min(retryAfter, 2) * 1000);
    }
    return post;
  }

  /**
   * Posts numbers [from, from + count) with `concurrency` requests in flight; with `paceMs`, each lane
   * waits that long between its requests (a steady stream rather than a burst).
   */
  async postMany(
    from: number,
    count: number,
    concurrency = 16,
    target?: BuiltInTarget,
    paceMs = 0,
  ): Promise<void> {
    let next = from;
    const end = from + count;
    const lane = async () => {
      while (next < end) {
        const n = next++;
        await this.postOne(n, target);
        if (paceMs) await sleep(paceMs);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }

  get acknowledged(): string[] {
    return this.posts.flatMap((p) => (p.id ? [p.id] : []));
  }

  get statusSummary(): Record<string, number> {
    return Object.fromEntries(
      [...this.statusCounts].sort(([a], [b]) => a - b).map(([s, c]) => [String(s), c]),
    );
  }
}

/** Reads transfers straight from the cluster's Redis (waiting through a restart). */
export class Reader {
  readonly redis: RedisClient;
  readonly store: TransferStore;

  constructor(cluster: Cluster) {
    this.redis = cluster.connect();
    this.store = new TransferStore(this.redis, cluster.keys.store, TARGETS);
  }

  async transfers(ids: readonly string[]): Promise<StoredTransfer[]> {
    const out: StoredTransfer[] = [];
    for (let i = 0; i < ids.length; i += 500) out.push(...(await this.store.getMany(ids.slice(i, i + 500))));
    return out;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

export function partnerRecord(cluster: Cluster, id: string): { target: Target; record: SimRecord }[] {
  const found: { target: Target; record: SimRecord }[] = [];
  for (const target of TARGETS) {
    const sim = cluster.partners[target];
    const record = sim.state.records.get(id);
    if (record) found.push({ target, record });
  }
  return found;
}

/** States in which the partner holds the transfer (or decided on it). */
const AT_PARTNER = new Set(['submitted', 'awaiting_local_report', 'completed', 'rejected', 'expired']);

export interface Reckoning {
  posted: number;
  acknowledged: number;
  delivered: number;
  failed: number;
  stillAccepted: number;
  missing: number;
  /** Acknowledged transfers held by no partner, or by more than one. */
  notExactlyOnePartnerRecord: number;
  /** Partner records that no acknowledged transfer accounts for. */
  phantomPartnerRecords: number;
  attempts: number;
  partnerSubmissions: number;
  /** Transfers whose attempts count is below what the partner received. */
  attemptsUndercounted: number;
  failedCodes: Record<string, number>;
}

/** Waits until no acknowledged transfer is still accepted (or the deadline), then counts. */
export async function reckon(
  cluster: Cluster,
  reader: Reader,
  client: Client,
  options: {
    timeoutMs?: number;
    settled?: (t: StoredTransfer) => boolean;
    during?: () => Promise<void>;
    /** Transfers of the same run posted by other clients: their partner records are not phantoms. */
    alsoKnown?: readonly string[];
  } = {},
): Promise<Reckoning> {
  const ids = client.acknowledged;
  const settled = options.settled ?? ((t: StoredTransfer) => t.state !== 'accepted');
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let transfers = await reader.transfers(ids);
  while (Date.now() < deadline) {
    transfers = await reader.transfers(ids);
    if (transfers.length === ids.length && transfers.every(settled)) break;
    await options.during?.();
    await sleep(500);
  }
  const known = new Set([...ids, ...(options.alsoKnown ?? [])]);
  let phantom = 0;
  for (const sim of Object.values(cluster.partners)) {
    for (const id of sim.state.records.keys()) if (!known.has(id)) phantom += 1;
  }
  const failedCodes: Record<string, number> = {};
  let attempts = 0;
  let submissions = 0;
  let undercounted = 0;
  let notOne = 0;
  for (const t of transfers) {
    const held = partnerRecord(cluster, t.doc.id);
    if (AT_PARTNER.has(t.state) && held.length !== 1) notOne += 1;
    const received = held.reduce((sum, h) => sum + h.record.submissions, 0);
    attempts += t.attempts;
    submissions += received;
    if (t.attempts < received) undercounted += 1;
    if (t.state === 'failed') {
      const code = t.facts.lastError?.code ?? '?';
      failedCodes[code] = (failedCodes[code] ?? 0) + 1;
    }
  }
  return {
    posted: client.posts.length,
    acknowledged: ids.length,
    delivered: transfers.filter((t) => AT_PARTNER.has(t.state)).length,
    failed: transfers.filter((t) => t.state === 'failed').length,
    stillAccepted: transfers.filter((t) => t.state === 'accepted').length,
    missing: ids.length - transfers.length,
    notExactlyOnePartnerRecord: notOne,
    phantomPartnerRecords: phantom,
    attempts,
    partnerSubmissions: submissions,
    attemptsUndercounted: undercounted,
    failedCodes,
  };
}

/** Error-level lines of the gateway processes, and anything they printed that is not a JSON log line. */
export function faults(processes: readonly GatewayProcess[]): { errors: string[]; stray: string[] } {
  return {
    errors: processes.flatMap((p) =>
      p.logs
        .filter((l) => l.level === 'error' || l.level === 'fatal')
        .map((l) => `${p.name}: ${JSON.stringify(l)}`),
    ),
    stray: processes.flatMap((p) => p.stray.map((s) => `${p.name}: ${s}`)),
  };
}

/** Prints the scenario's figures and keeps them under test-artifacts/chaos/<name>.json. */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, 'test-artifacts', 'chaos');
  mkdirSync(dir, { recursive: true });
  const record = { scenario: name, scale: FULL ? 'full' : 'quick', at: new Date().toISOString(), ...figures };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const lines = Object.entries(record).map(
    ([k, v]) => `  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  );
  console.log(`\nchaos: ${name}\n${lines.join('\n')}\n`);
}

/**
 * A crash loop: every `everyMs` one of `workers` (in turn) is SIGKILLed and replaced at once, as an
 * orchestrator would, the new one booting while the others keep working. Replacements are added to
 * `workers` (in the killed one's slot) and to `processes`. `stop()` ends it and says how many it killed.
 */
export function killWorkersEvery(
  cluster: Cluster,
  workers: GatewayProcess[],
  processes: GatewayProcess[],
  everyMs: number,
): { stop(): Promise<number> } {
  let kills = 0;
  let killing = true;
  const loop = (async () => {
    let turn = 0;
    while (killing) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (!killing) break;
      const slot = turn++ % workers.length;
      workers[slot]!.kill('SIGKILL');
      kills += 1;
      const replacement = await cluster.spawn('worker', { wait: 'none' });
      workers[slot] = replacement;
      processes.push(replacement);
    }
  })();
  return {
    async stop() {
      killing = false;
      await loop;
      return kills;
    },
  };
}
