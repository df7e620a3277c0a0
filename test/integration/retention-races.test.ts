/**
 * Retention as ordinary maintenance work, on real Redis with a movable clock: a purge racing partner
 * callbacks and operator retries for the same transfers wins or loses whole; two sweeps at once (two
 * worker processes) do each step once; the scheduled job runs by itself and is counted in /metrics
 * and GET /v1/ops/retention; a store written before retention existed is taken over.
 */
import type { RetentionStatus } from '../../src/usecases/retention.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, callbackSecret, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

const DAY = 86_400_000;
const NATIONAL = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' };
const UNKNOWN_ORG = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' };

type View = {
  id: string;
  state: string;
  member: unknown;
  personalDataPurgedAt: string | null;
  nationalAccountCreated: boolean;
  events: { type: string }[];
};

let n = 0;

async function post(gw: TestGateway, destination: typeof NATIONAL): Promise<string> {
  n += 1;
  const res = await api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      {
        externalRef: `BJ-RACE-${n}`,
        destination,
        member: { name: '司马相如', idNumber: validIdNumber(8000 + n, '19980202'), phone: '13700001111' },
      },
      8000 + n,
    ),
    headers: { 'idempotency-key': `race-${n}-${Date.now()}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return String(res.body.id);
}

const view = async (gw: TestGateway, id: string) =>
  (await api<View>(gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).body;

async function inState(gw: TestGateway, id: string, state: string): Promise<void> {
  await until(
    `${id} to be ${state}`,
    async () => ((await view(gw, id)).state === state ? true : null),
    20_000,
  );
}

async function callback(gw: TestGateway, type: string, transferId: string): Promise<number> {
  n += 1;
  const body = JSON.stringify({ type, data: { transferId, partnerRef: `P-${transferId.slice(-6)}` } });
  const res = await fetch(`${gw.url}/v1/callbacks/national`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...webhookHeaders(callbackSecret(gw, 'national'), `msg_race_${n}`, body),
    },
    body,
  });
  return res.status;
}

describe('a purge racing callbacks and operator retries, with two sweeps at once', () => {
  let w: World;
  let second: TestGateway;
  const clock = new MovableClock();
  const quiet = {
    RETENTION_SWEEP_MS: '3600000',
    RECONCILE_INTERVAL_MS: '3600000',
    LOCAL_REPORT_CHECK_MS: '3600000',
  };

  beforeAll(async () => {
    w = await startWorld({
      decision: { mode: 'never' },
      gateway: { clock },
      partnerNow: () => clock.now(),
      env: quiet,
    });
    // A second process on the same store: its own sweep, its own connections.
    second = await startTestGateway(
      {
        ...quiet,
        REDIS_PREFIX: w.gw.config.REDIS_PREFIX,
        NOTIFY_URL: w.beijing.url,
        ROLE: 'worker',
        WORKERS: 'maintenance',
      },
      { clock },
    );
  });
  afterAll(async () => {
    await second.close();
    await w.close();
  });

  it('each transfer is either retried with its data or purged, and every late fact applies once', async () => {
    const M = 20;
    const failed = await Promise.all(Array.from({ length: M }, () => post(w.gw, UNKNOWN_ORG)));
    const approved = await Promise.all(Array.from({ length: M }, () => post(w.gw, NATIONAL)));
    for (const id of failed) await inState(w.gw, id, 'failed');
    for (const id of approved) await inState(w.gw, id, 'submitted');
    // Approved, but the account is reported only later: that report will race the purge.
    for (const id of approved) expect(await callback(w.gw, 'transfer.approved', id)).toBe(204);
    for (const id of approved) await inState(w.gw, id, 'completed');

    clock.advance(90.5 * DAY);
    const [runA, runB, retries, reports] = await Promise.all([
      w.gw.retention.sweep(),
      second.retention.sweep(),
      Promise.all(failed.map((id) => api(w.gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.ops }))),
      Promise.all(approved.map((id) => callback(w.gw, 'member.account_created', id))),
    ]);
    // What lost a race (changed while a step ran) is taken by the next run.
    const runC = await w.gw.retention.sweep();
    const purgedRuns = runA.purged + runB.purged + runC.purged;

    expect(reports.every((s) => s === 204)).toBe(true);
    let retried = 0;
    for (const [i, id] of failed.entries()) {
      const answer = retries[i]!;
      const t = await view(w.gw, id);
      if (answer.status === 202) {
        retried += 1;
        // Retried: it keeps its data, and failing again (the org is still unknown) starts a new window.
        expect(t.member).not.toBeNull();
        expect(t.personalDataPurgedAt).toBeNull();
        expect((await w.gw.store.get(id))?.piiSealed).toMatch(/^v1\./);
      } else {
        expect(answer.status).toBe(409);
        expect(answer.body.code).toBe('PERSONAL_DATA_PURGED');
        expect(t.member).toBeNull();
        expect(t.state).toBe('failed');
      }
    }
    for (const id of approved) {
      const t = await view(w.gw, id);
      expect(t.member).toBeNull();
      expect(t.nationalAccountCreated).toBe(true);
      expect(t.events.filter((e) => e.type === 'national_account_created')).toHaveLength(1);
    }
    // Each purge happened once, whichever process did it.
    expect(purgedRuns).toBe(M - retried + M);
    // Beijing heard of each account once.
    await until('account notifications', async () =>
      approved.every((id) =>
        w.beijing.received.some((r) => r.data.transferId === id && r.type === 'member.account_created'),
      )
        ? true
        : null,
    );
    for (const id of approved) {
      expect(
        w.beijing.received.filter((r) => r.data.transferId === id && r.type === 'member.account_created'),
      ).toHaveLength(1);
    }
  });
});

describe('the scheduled sweep, its metrics and its status', () => {
  let w: World;
  const clock = new MovableClock();

  beforeAll(async () => {
    w = await startWorld({
      decision: { mode: 'never' },
      gateway: { clock },
      partnerNow: () => clock.now(),
      env: { RETENTION_SWEEP_MS: '300', PII_RETENTION_DAYS: '2', RECORD_RETENTION_DAYS: '5' },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('purges and expires on its own; /metrics and /v1/ops/retention count it', async () => {
    const id = await post(w.gw, UNKNOWN_ORG);
    await inState(w.gw, id, 'failed');
    const status = async () =>
      (
        await api<RetentionStatus & { rules: unknown[] }>(w.gw.url, 'GET', '/v1/ops/retention', {
          key: KEYS.ops,
        })
      ).body;
    const before = await status();
    expect(before.settings).toEqual({ piiRetentionDays: 2, recordRetentionDays: 5 });
    expect(before.next.purgeAt).toEqual(expect.any(String));
    expect(before.rules.length).toBeGreaterThan(5);
    // The bounds as this gateway is configured, not the defaults.
    const kept = (setting: string) =>
      (before.rules as { setting?: string; kept: string }[]).find((r) => r.setting === setting)?.kept;
    expect(kept('PII_RETENTION_DAYS')).toBe('2 days after the transfer finished');
    expect(kept('RECORD_RETENTION_DAYS')).toBe('5 days after it finished');
    expect(kept('IDEMPOTENCY_TTL_HOURS')).toBe('72 hours (and deleted with the personal data)');

    clock.advanceDays(2.1);
    await until(
      'purged by the schedule',
      async () => ((await view(w.gw, id)).member === null ? true : null),
      20_000,
    );
    const metrics = await (await fetch(`${w.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^tgw_retention_purged_total [1-9]/m);
    expect(metrics).toMatch(/^tgw_retention_last_run_timestamp_seconds [1-9]/m);
    expect(metrics).toMatch(/^tgw_retention_due\{step="purge"\} 0$/m);

    clock.advanceDays(3);
    await until(
      'expired by the schedule',
      async () =>
        (await api(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).status === 404
          ? true
          : null,
      20_000,
    );
    const after = await status();
    expect(after.totals.purged).toBeGreaterThanOrEqual(1);
    expect(after.totals.expired).toBeGreaterThanOrEqual(1);
    expect(after.lastRun?.at).toEqual(expect.any(String));
    expect(await fetch(`${w.gw.url}/metrics`).then((r) => r.text())).toMatch(
      /^tgw_retention_expired_total [1-9]/m,
    );
  });
});

describe('a store written before retention existed', () => {
  let w: World;
  const clock = new MovableClock();

  beforeAll(async () => {
    w = await startWorld({
      decision: { mode: 'never' },
      gateway: { clock },
      partnerNow: () => clock.now(),
      env: { RETENTION_SWEEP_MS: '3600000' },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('its finished transfers enter the schedules (finished at their last change) and the old indexes go', async () => {
    const id = await post(w.gw, UNKNOWN_ORG);
    await inState(w.gw, id, 'failed');
    const p = w.gw.config.REDIS_PREFIX;
    const r = w.gw.redis;
    // As the first version left it: no finishing time, no schedules, and its three other indexes.
    await r.hdel(`${p}:trf:${id}`, 'finishedAt');
    await r.zrem(`${p}:idx:finished`, id);
    await r.zrem(`${p}:retention:purge`, id);
    await r.zrem(`${p}:retention:pack`, id);
    await r.zadd(`${p}:idx:all`, 0, id);
    await r.zadd(`${p}:idx:state:failed`, 0, id);
    await r.zadd(`${p}:idx:target:national`, 0, id);
    await r.hdel(`${p}:retention:stats`, 'layout');

    await w.gw.retention.sweep();
    const updatedAt = await r.hget(`${p}:trf:${id}`, 'updatedAt');
    expect(await r.hget(`${p}:trf:${id}`, 'finishedAt')).toBe(updatedAt);
    expect(await r.zscore(`${p}:idx:finished`, id)).toBe(String(Date.parse(updatedAt ?? '')));
    expect(await r.exists(`${p}:idx:all`, `${p}:idx:state:failed`, `${p}:idx:target:national`)).toBe(0);
    clock.advanceDays(91);
    await w.gw.retention.sweep();
    expect((await view(w.gw, id)).member).toBeNull();
  });
});
