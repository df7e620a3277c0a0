/**
 * Data lifecycle on real Redis with a movable clock: a finished transfer is packed, purged of its
 * personal data PII_RETENTION_DAYS after it finished and deleted RECORD_RETENTION_DAYS after, and
 * nothing else outlives its bound. Transfers in flight are never purged; a purge racing callbacks and
 * operator retries for the same transfers wins or loses whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACK_AFTER_MS, JOB_RETENTION, CALLBACK_DEDUPE_SECONDS } from '../../src/domain/retention.js';
import { notificationJobId, deliveryJobId } from '../../queues/names.js';
import { trackLocalReports } from '../../src/usecases/local-reports.js';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, callbackSecret, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

const DAY = 86_400_000;
const NATIONAL = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' };
const GUANGDONG = { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' };
const UNKNOWN_ORG = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' };
const FUJIAN = { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' };

type View = Record<string, unknown> & {
  id: string;
  state: string;
  member: { name: string; idNumber: string; phone?: string } | null;
  personalDataPurgedAt: string | null;
  finishedAt: string | null;
  events: { type: string }[];
};

let w: World;
const clock = new MovableClock();
let n = 0;

beforeAll(async () => {
  // The partners decide only when a test says so; the sweep runs when a test calls it (the schedule is
  // an hour away), so each window is checked at a known moment.
  w = await startWorld({
    decision: { mode: 'never' },
    gateway: { clock },
    partnerNow: () => clock.now(),
    env: {
      RETENTION_SWEEP_MS: '3600000',
      RECONCILE_INTERVAL_MS: '3600000',
      LOCAL_REPORT_CHECK_MS: '3600000',
    },
  });
});
afterAll(async () => {
  await w.close();
});

const prefix = () => w.gw.config.REDIS_PREFIX;
const redis = () => w.gw.redis;

async function post(
  destination: { provinceCode: string; orgFullName: string },
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; idNumber: string; key: string }> {
  n += 1;
  const idNumber = validIdNumber(7000 + n, '19990101');
  const key = `ret-${n}-${Date.now()}`;
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      {
        externalRef: `BJ-RET-${n}`,
        destination,
        member: { name: '欧阳明月', idNumber, phone: '13912345678' },
        ...overrides,
      },
      7000 + n,
    ),
    headers: { 'idempotency-key': key },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { id: String(res.body.id), idNumber, key };
}

const get = async (id: string) => api<View>(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing });
const view = async (id: string) => (await get(id)).body;

async function inState(id: string, state: string): Promise<View> {
  return until(`${id} to be ${state}`, async () => {
    const t = await view(id);
    return t.state === state ? t : null;
  });
}

/** Every notification written for the transfer was delivered (its records are deleted on delivery). */
async function notified(id: string): Promise<void> {
  await until(`${id}'s notifications delivered`, async () =>
    (await redis().hlen(`${prefix()}:trf:${id}:notifications`)) === 0 ? true : null,
  );
}

async function callback(target: string, type: string, data: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify({ type, data });
  const res = await fetch(`${w.gw.url}/v1/callbacks/${target}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...webhookHeaders(
        callbackSecret(w.gw, target),
        `msg_${type}_${String(data.transferId)}_${n}_${Math.random()}`,
        body,
      ),
    },
    body,
  });
  return res.status;
}

/** A national transfer approved by its partner: completed, its account created, Beijing told. */
async function completedNational(): Promise<{ id: string; idNumber: string; key: string }> {
  const t = await post(NATIONAL);
  await inState(t.id, 'submitted');
  w.national.control.decide(t.id, 'approve');
  await until('account created', async () => ((await view(t.id)).nationalAccountCreated ? true : null));
  await inState(t.id, 'completed');
  await notified(t.id);
  return t;
}

async function failedTransfer(): Promise<{ id: string; idNumber: string; key: string }> {
  const t = await post(UNKNOWN_ORG);
  await inState(t.id, 'failed');
  await notified(t.id);
  return t;
}

/** Every key of this gateway and every index member, as text: where a transfer could linger. */
async function everything(): Promise<string> {
  const keys = await redis().keys(`${prefix()}:*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis().type(key);
    parts.push(key);
    if (type === 'string') parts.push((await redis().getBuffer(key))?.toString('latin1') ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis().hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis().lrange(key, 0, -1)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis().zrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis().smembers(key)));
  }
  return parts.join('\n');
}

const sweep = () => w.gw.retention.sweep();

describe('packing a finished transfer', () => {
  it('reads the same before and after, in a compact hash and one compressed string', async () => {
    const { id } = await completedNational();
    const before = await view(id);
    expect(before.finishedAt).toEqual(expect.any(String));
    const usage = async () => {
      let bytes = 0;
      for (const key of await redis().keys(`${prefix()}:trf:${id}*`))
        bytes += Number(await redis().call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      return bytes;
    };
    const unpacked = await usage();

    // Not yet: the transfer finished moments ago.
    await sweep();
    expect(await redis().exists(`${prefix()}:trf:${id}:packed`)).toBe(0);

    clock.advance(PACK_AFTER_MS + 1_000);
    const run = await sweep();
    expect(run.packed).toBeGreaterThanOrEqual(1);
    expect(await redis().exists(`${prefix()}:trf:${id}:packed`)).toBe(1);
    expect(await redis().exists(`${prefix()}:trf:${id}:events`)).toBe(0);
    expect(await redis().object('ENCODING', `${prefix()}:trf:${id}`)).toBe('listpack');
    expect(await view(id)).toEqual(before);
    const packed = await usage();
    expect(packed).toBeLessThan(unpacked / 2);

    // A late event on a packed transfer is recorded and read back, and packed again later.
    const status = await callback('national', 'member.account_created', { transferId: id, partnerRef: 'X' });
    expect(status).toBe(204); // a fact it already holds: a duplicate, whatever the id
    expect((await view(id)).events).toEqual(before.events);
  });
});

describe('personal data purged PII_RETENTION_DAYS after a transfer finished', () => {
  it('not a moment before; then member null, personalDataPurgedAt, and no copy left in Redis', async () => {
    const done = await completedNational();
    const failed = await failedTransfer();
    const sealed = await redis().hget(`${prefix()}:trf:${done.id}`, 'pii');
    expect(sealed).toMatch(/^v1\./);
    const masked = (await view(done.id)).member?.idNumber ?? '';
    expect(masked).toContain('****');

    clock.advance(89.9 * DAY);
    await sweep();
    for (const id of [done.id, failed.id]) {
      const t = await view(id);
      expect(t.member).not.toBeNull();
      expect(t.personalDataPurgedAt).toBeNull();
    }

    clock.advance(0.2 * DAY);
    const run = await sweep();
    expect(run.purged).toBeGreaterThanOrEqual(2);
    for (const { id, key } of [done, failed]) {
      const res = await get(id);
      expect(res.status).toBe(200);
      expect(res.body.member).toBeNull();
      expect(res.body.personalDataPurgedAt).toEqual(expect.any(String));
      expect(res.body.state).toMatch(/completed|failed/);
      expect(res.body.events.length).toBeGreaterThan(1);
      // The idempotency key went with it (the fingerprint of a body that held the ID number).
      const idem = w.gw.store.idempotencyKey('beijing', key);
      expect(await redis().exists(idem)).toBe(0);
    }
    const all = await everything();
    expect(all).not.toContain(sealed);
    expect(all).not.toContain(masked);
    expect(all).not.toContain(done.idNumber);
    expect(all).not.toContain('欧阳');
    // The list shows the purged transfer without its member too.
    const ref = String((await view(done.id)).externalRef);
    const list = await api<{ items: View[] }>(w.gw.url, 'GET', `/v1/transfers?externalRef=${ref}`, {
      key: KEYS.beijing,
    });
    expect(list.body.items[0]?.member).toBeNull();
  });

  it('a transfer in flight is never purged, however long it waits', async () => {
    const waiting = await post(GUANGDONG);
    await inState(waiting.id, 'awaiting_local_report');
    const submitted = await post(FUJIAN);
    await inState(submitted.id, 'awaiting_local_report');
    clock.advance(500 * DAY);
    await sweep();
    for (const id of [waiting.id, submitted.id]) {
      const t = await view(id);
      expect(t.member).toEqual({
        name: '欧***',
        idNumber: expect.stringContaining('****'),
        phone: '139****5678',
      });
      expect(t.personalDataPurgedAt).toBeNull();
      expect(t.finishedAt).toBeNull();
    }
    // It finishes now: its windows start now, not when it was created.
    expect(
      await callback('fujian', 'member.local_report_completed', {
        transferId: submitted.id,
        partnerRef: 'FJ-1',
      }),
    ).toBe(204);
    await inState(submitted.id, 'completed');
    clock.advance(89 * DAY);
    await sweep();
    expect((await view(submitted.id)).member).not.toBeNull();
    clock.advance(2 * DAY);
    await sweep();
    expect((await view(submitted.id)).member).toBeNull();
  });

  it("a partner's words naming the member are scrubbed with the rest", async () => {
    const t = await post(GUANGDONG);
    await inState(t.id, 'awaiting_local_report');
    expect(
      await callback('guangdong', 'transfer.rejected', {
        transferId: t.id,
        partnerRef: 'GD-1',
        reason: `团员欧阳明月（身份证${t.idNumber}，电话13912345678）材料不全`,
      }),
    ).toBe(204);
    const rejected = await inState(t.id, 'rejected');
    expect(JSON.stringify(rejected)).toContain('欧阳明月');
    await notified(t.id);
    clock.advance(91 * DAY);
    await sweep();
    const purged = await view(t.id);
    expect(purged.member).toBeNull();
    const text = JSON.stringify(purged);
    expect(text).not.toContain('欧阳明月');
    expect(text).not.toContain(t.idNumber);
    expect(text).not.toContain('13912345678');
    expect(text).toContain('材料不全'); // the rest of the partner's words stay
  });

  it('a purged transfer is frozen: one compressed value, and a late callback changes nothing (409)', async () => {
    const t = await completedNational();
    clock.advance(91 * DAY);
    await sweep();
    const p = prefix();
    expect(await redis().exists(`${p}:trf:${t.id}`)).toBe(0);
    expect(await redis().exists(`${p}:trf:${t.id}:events`)).toBe(0);
    expect(await redis().exists(`${p}:trf:${t.id}:packed`)).toBe(1);
    const before = await view(t.id);
    expect(before.state).toBe('completed');
    expect(before.member).toBeNull();
    const late = await callback('national', 'member.account_created', { transferId: t.id, partnerRef: 'X' });
    expect(late).toBe(409);
    expect(await view(t.id)).toEqual(before);
    // Still listed by its state and its reference.
    const ref = String(before.externalRef);
    const byRef = await api<{ items: View[] }>(w.gw.url, 'GET', `/v1/transfers?externalRef=${ref}`, {
      key: KEYS.beijing,
    });
    expect(byRef.body.items.map((i) => i.id)).toEqual([t.id]);
  });

  it('a purged failed transfer cannot be retried: 409 PERSONAL_DATA_PURGED', async () => {
    const t = await failedTransfer();
    clock.advance(91 * DAY);
    await sweep();
    const res = await api(w.gw.url, 'POST', `/v1/transfers/${t.id}/retry`, { key: KEYS.ops });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('PERSONAL_DATA_PURGED');
    expect((await view(t.id)).state).toBe('failed');
  });

  it('a failed transfer retried before its purge leaves the schedules and keeps its data', async () => {
    const t = await failedTransfer();
    clock.advance(60 * DAY);
    const res = await api(w.gw.url, 'POST', `/v1/transfers/${t.id}/retry`, { key: KEYS.ops });
    expect(res.status).toBe(202);
    await inState(t.id, 'failed'); // the org is still unknown: it fails again, finishing anew
    const again = await view(t.id);
    clock.advance(60 * DAY); // 120 days after it first failed, 60 after it failed again
    await sweep();
    expect((await view(t.id)).member).not.toBeNull();
    expect((await view(t.id)).finishedAt).toBe(again.finishedAt);
  });
});

describe('finished transfers expire RECORD_RETENTION_DAYS after they finished', () => {
  it('then GET answers 404, lists never show it, and nothing in Redis names it', async () => {
    const t = await completedNational();
    const ref = (await view(t.id)).externalRef as string;
    clock.advance(399.9 * DAY);
    await sweep();
    expect((await get(t.id)).status).toBe(200);
    clock.advance(0.2 * DAY);
    const run = await sweep();
    expect(run.expired).toBeGreaterThanOrEqual(1);
    const res = await get(t.id);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('TRANSFER_NOT_FOUND');
    const byRef = await api<{ items: View[] }>(w.gw.url, 'GET', `/v1/transfers?externalRef=${ref}`, {
      key: KEYS.beijing,
    });
    expect(byRef.body.items).toEqual([]);
    const completed = await api<{ items: View[] }>(
      w.gw.url,
      'GET',
      '/v1/transfers?state=completed&limit=100',
      {
        key: KEYS.beijing,
      },
    );
    expect(completed.body.items.map((i) => i.id)).not.toContain(t.id);
    expect(await everything()).not.toContain(t.id);
    // A partner's callback for it now names no transfer.
    expect(await callback('national', 'member.account_created', { transferId: t.id, partnerRef: 'X' })).toBe(
      404,
    );
  });

  it('its jobs go with it (an exhausted notification waits for its replay until then)', async () => {
    const t = await failedTransfer();
    const job = await w.gw.notifications.queue.getJob(notificationJobId(t.id, 2));
    expect(job).toBeDefined();
    expect(job?.opts.removeOnFail).toEqual(JOB_RETENTION.notificationFailed);
    expect(job?.opts.removeOnComplete).toEqual(JOB_RETENTION.notificationCompleted);
    const delivery = await w.gw.producer.queue('national').getJob(deliveryJobId(t.id, 1));
    expect(delivery?.opts.removeOnComplete).toEqual(JOB_RETENTION.deliveryCompleted);
    clock.advance(401 * DAY);
    await sweep();
    expect(await w.gw.notifications.queue.getJob(notificationJobId(t.id, 2))).toBeUndefined();
    expect(await w.gw.producer.queue('national').getJob(deliveryJobId(t.id, 1))).toBeUndefined();
  });
});

describe('everything else has a bound', () => {
  it('idempotency keys, callback ids and local-report markers carry their TTLs', async () => {
    const t = await post(GUANGDONG);
    const idem = w.gw.store.idempotencyKey('beijing', t.key);
    const ttl = await redis().ttl(idem);
    expect(ttl).toBeGreaterThan(71 * 3600);
    expect(ttl).toBeLessThanOrEqual(72 * 3600);
    await inState(t.id, 'awaiting_local_report');
    const id = `msg_bound_${t.id}`;
    const body = JSON.stringify({
      type: 'transfer.approved',
      data: { transferId: t.id, partnerRef: 'GD-2' },
    });
    const res = await fetch(`${w.gw.url}/v1/callbacks/guangdong`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...webhookHeaders(callbackSecret(w.gw, 'guangdong'), id, body),
      },
      body,
    });
    expect(res.status).toBe(204);
    const dedupe = await redis().ttl(`${prefix()}:dedupe:callback:guangdong:${id}`);
    expect(dedupe).toBeGreaterThan(CALLBACK_DEDUPE_SECONDS - 60);
    expect(dedupe).toBeLessThanOrEqual(CALLBACK_DEDUPE_SECONDS);
    // The first reminder is due 7 days after the wait began.
    clock.advance(7.1 * DAY);
    await trackLocalReports(w.gw.localReports);
    const marker = (await redis().keys(`${prefix()}:dedupe:reminder:${t.id}:*`))[0] ?? '';
    expect(marker).not.toBe('');
    expect(await redis().ttl(marker)).toBeLessThanOrEqual(2 * 86_400);
    expect(await redis().ttl(marker)).toBeGreaterThan(2 * 86_400 - 60);
  });

  it('a notification record is deleted once Beijing acknowledges it; the ops view keeps its summary', async () => {
    const { id } = await completedNational();
    expect(await redis().hlen(`${prefix()}:trf:${id}:notifications`)).toBe(0);
    const page = await api<{ items: { transferId: string; notification: { type: string } | null }[] }>(
      w.gw.url,
      'GET',
      '/v1/notifications?status=completed&limit=100',
      { key: KEYS.ops },
    );
    const mine = page.body.items.filter((i) => i.transferId === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const item of mine) expect(item.notification?.type).toMatch(/^(transfer|member)\./);
  });
});
