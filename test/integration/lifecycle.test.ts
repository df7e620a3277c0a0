/**
 * The lifecycle end to end over real HTTP: partner simulators decide and call back (Standard
 * Webhooks), the gateway applies it, Beijing hears of every change; reconciliation heals lost
 * callbacks; cancel rules; local reporting reminders and the overdue flag on a movable clock.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackLocalReports } from '../../src/usecases/local-reports.js';
import { reconcileStale } from '../../src/usecases/reconcile.js';
import { transferBody } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, callbackSecret, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

type Transfer = {
  id: string;
  state: string;
  partnerRef: string | null;
  nationalAccountCreated: boolean;
  localReport: { status: string; overdue?: boolean; remindersSent?: number[] } | null;
  events: { type: string; source: string; detail?: Record<string, unknown> }[];
};

let n = 0;
async function post(w: World, overrides: Record<string, unknown>): Promise<string> {
  n += 1;
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-LC-${n}`, ...overrides }, 300 + n),
    headers: { 'idempotency-key': `lc-${n}-${Date.now()}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return String(res.body.id);
}
const get = async (w: World, id: string) =>
  (await api<Transfer>(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).body;
const inState = (w: World, id: string, state: string, timeoutMs = 15_000) =>
  until(
    `${id} to be ${state}`,
    async () => ((await get(w, id)).state === state ? get(w, id) : null),
    timeoutMs,
  );

const NATIONAL = { destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' } };
const GUANGDONG = { destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' } };
const FUJIAN = { destination: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' } };

describe('journeys to completion, with Beijing told of every change', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ decision: { mode: 'approve', delayMs: 100 }, localReportDelayMs: 150 });
  });
  afterAll(async () => {
    await w.close();
  });

  it('national: submitted → completed on approval; the created account is announced, its password never', async () => {
    const id = await post(w, NATIONAL);
    const t = await inState(w, id, 'completed');
    await until('account created', async () => (await get(w, id)).nationalAccountCreated || null);
    expect(t.events.find((e) => e.type === 'partner_approved')?.source).toBe('callback');
    const mine = () => w.beijing.received.filter((r) => r.data.transferId === id);
    await until('three notifications', async () => mine().length >= 3 || null);
    const kinds = mine().map((r) => `${r.type}:${String(r.data.previousState)}>${String(r.data.state)}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'transfer.state_changed:accepted>submitted',
        'transfer.state_changed:submitted>completed',
        'member.account_created:completed>completed',
      ]),
    );
    const account = mine().find((r) => r.type === 'member.account_created')!;
    // The username is the member's ID number, the default password must be changed at first login;
    // neither the number nor the password travels.
    expect(account.data.detail).toMatchObject({ mustChangeDefaultPassword: true, username: 'id_number' });
    expect(String((account.data.detail as { message?: unknown }).message)).toContain(
      '首次登录须修改初始密码',
    );
    const idNumber = w.national.state.records.get(id)!.idNumber;
    const everything =
      mine()
        .map((r) => r.rawBody)
        .join('\n') + w.gw.logs.join('');
    expect(everything).not.toContain(idNumber.slice(-8)); // the default password
    expect(everything).not.toContain(idNumber);
    const seqs = mine().map((r) => r.data.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('guangdong and fujian: awaiting_local_report → completed only when the member reports locally', async () => {
    for (const dest of [GUANGDONG, FUJIAN]) {
      const id = await post(w, dest);
      const t = await inState(w, id, 'completed');
      expect(t.localReport).toMatchObject({ status: 'completed' });
      const types = t.events.map((e) => e.type);
      expect(types.indexOf('awaiting_local_report')).toBeLessThan(types.indexOf('local_report_completed'));
    }
  });

  it('a rejection carries the partner reason to the transfer and to Beijing', async () => {
    w.national.control.setDecision({ mode: 'reject', delayMs: 50, reason: '该团员不属于本组织' });
    const id = await post(w, NATIONAL);
    const t = await inState(w, id, 'rejected');
    w.national.control.setDecision({ mode: 'approve', delayMs: 100 });
    expect(t.events.find((e) => e.type === 'rejected')?.detail?.reason).toBe('该团员不属于本组织');
    await until('the rejection notice', async () =>
      w.beijing.received.find((r) => r.data.transferId === id && r.data.state === 'rejected'),
    );
  });
});

describe('callbacks: verification, at-most-once, refusals', () => {
  let w: World;
  const secret = () => callbackSecret(w.gw, 'national');
  const secretOf = (partner: 'FUJIAN' | 'GUANGDONG'): string => callbackSecret(w.gw, partner.toLowerCase());
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  function signed(
    body: string,
    key = secret(),
    id = `msg_${Math.random().toString(36).slice(2)}`,
    at = new Date(),
  ) {
    // Signed by the independent reference implementation, not by our own code.
    const signature = new Webhook(key).sign(id, at, body);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    };
  }
  const send = (target: string, body: string, headers: Record<string, string>) =>
    api(w.gw.url, 'POST', `/v1/callbacks/${target}`, {
      raw: body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('twelve copies of one callback at once: all acknowledged, applied once', async () => {
    const id = await post(w, NATIONAL);
    await inState(w, id, 'submitted');
    const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: id, partnerRef: 'X-1' } });
    const headers = signed(body);
    const results = await Promise.all(Array.from({ length: 12 }, () => send('national', body, headers)));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(204));
    const t = await get(w, id);
    expect(t.state).toBe('completed');
    expect(t.events.filter((e) => e.type === 'partner_approved')).toHaveLength(1);
    // A new message id repeating the same decision is already applied, not an error.
    const again = await send('national', body, signed(body));
    expect(again.status).toBe(204);
    // A later contradicting word cannot change a terminal state.
    const reject = JSON.stringify({ type: 'transfer.rejected', data: { transferId: id, reason: 'x' } });
    const late = await send('national', reject, signed(reject));
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('INVALID_TRANSITION');
    expect((await get(w, id)).state).toBe('completed');
  });

  it('refuses tampered, stale, future and unknown-secret callbacks with 401; malformed 400; unknown transfer 404', async () => {
    const id = await post(w, NATIONAL);
    await inState(w, id, 'submitted');
    const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: id } });
    const tampered = await send('national', body.replace('approved', 'rejected'), signed(body));
    const stale = await send(
      'national',
      body,
      signed(body, secret(), 'msg_stale', new Date(Date.now() - 6 * 60_000)),
    );
    const future = await send(
      'national',
      body,
      signed(body, secret(), 'msg_future', new Date(Date.now() + 6 * 60_000)),
    );
    const foreign = await send('national', body, signed(body, 'whsec_b2xkLXNlY3JldC1ub3QtY29uZmlndXJlZA=='));
    const otherPartner = await send('national', body, signed(body, secretOf('FUJIAN')));
    for (const r of [tampered, stale, future, foreign, otherPartner]) {
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('INVALID_SIGNATURE');
    }
    const malformed = await send('national', '{"type":', signed('{"type":'));
    expect(malformed.status).toBe(400);
    const wrongShape = JSON.stringify({ type: 'transfer.approved', data: { nope: 1 } });
    expect((await send('national', wrongShape, signed(wrongShape))).status).toBe(400);
    const unknown = JSON.stringify({
      type: 'transfer.approved',
      data: { transferId: 'trf_01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    const u = await send('national', unknown, signed(unknown));
    expect(u.status).toBe(404);
    expect(u.body.code).toBe('UNKNOWN_TRANSFER');
    // The transfer belongs to national: a guangdong callback about it is unknown there.
    const gd = await send('guangdong', body, signed(body, secretOf('GUANGDONG')));
    expect(gd.status).toBe(404);
    expect((await get(w, id)).state).toBe('submitted');
  });

  it('accepts any of several configured secrets (rotation)', async () => {
    const { startWorld: start } = await import('../helpers/world.js');
    const old = 'whsec_b2xkLXJvdGF0ZWQtb3V0LXNlY3JldC0xMjM0NTY=';
    const rotated = await start({ env: { CALLBACK_SECRETS_NATIONAL: `${secret()},${old}` } });
    try {
      const id = await post(rotated, NATIONAL);
      await inState(rotated, id, 'submitted');
      const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: id } });
      const r = await api(rotated.gw.url, 'POST', '/v1/callbacks/national', {
        raw: body,
        headers: { 'content-type': 'application/json', ...signed(body, old) },
      });
      expect(r.status).toBe(204);
    } finally {
      await rotated.close();
    }
  });
});

describe('reconciliation heals lost callbacks', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      dropCallbacks: true,
      decision: { mode: 'approve', delayMs: 50 },
      localReportDelayMs: 100,
      env: { RECONCILE_STALE_AFTER_MS: '300', RECONCILE_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('every target reaches completed although no callback arrives', async () => {
    const ids = [await post(w, NATIONAL), await post(w, GUANGDONG), await post(w, FUJIAN)];
    for (const id of ids) {
      const t = await inState(w, id, 'completed', 20_000);
      const completing = t.events.find(
        (e) => e.type === 'partner_approved' || e.type === 'local_report_completed',
      );
      expect(completing?.source).toBe('reconciliation');
    }
    expect(w.national.state.callbacks.every((c) => c.outcome === 'failed')).toBe(true);
  });
});

describe('cancel rules', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w.close();
  });
  const cancel = (id: string, key: string = KEYS.beijing) =>
    api(w.gw.url, 'POST', `/v1/transfers/${id}/cancel`, { key });

  it('withdraws a submitted national application at the partner', async () => {
    const id = await post(w, NATIONAL);
    await inState(w, id, 'submitted');
    const r = await cancel(id);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('cancelled');
    expect(w.national.state.records.get(id)?.status).toBe('withdrawn');
    const again = await cancel(id);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_STATE');
  });

  it('refuses enlistment and classified transfers: IRREVERSIBLE', async () => {
    const id = await post(w, {
      ...NATIONAL,
      initiator: { kind: 'branch', branchOrgId: 'bj-00042', operatorId: 'op-7' },
      reason: { kind: 'enlistment', reviewingProvinceCode: '37' },
      confirmedWithMember: true,
    });
    const r = await cancel(id);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('IRREVERSIBLE');
    const classified = await post(w, {
      ...GUANGDONG,
      reason: { kind: 'classified_unit' },
      confirmedWithMember: true,
    });
    expect((await cancel(classified)).body.code).toBe('IRREVERSIBLE');
  });

  it('refuses after a decision, and where the partner never allows withdrawal', async () => {
    const id = await post(w, NATIONAL);
    await inState(w, id, 'submitted');
    w.national.control.decide(id, 'approve');
    await inState(w, id, 'completed');
    expect((await cancel(id)).body.code).toBe('INVALID_STATE');
    const fj = await post(w, FUJIAN);
    await inState(w, fj, 'awaiting_local_report');
    const r = await cancel(fj);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('WITHDRAW_NOT_SUPPORTED');
    expect((await get(w, fj)).state).toBe('awaiting_local_report');
  });

  it('needs a key with transfers:write', async () => {
    const id = await post(w, GUANGDONG);
    expect((await cancel(id, KEYS.reader)).status).toBe(403);
  });
});

describe('local reporting on a movable clock', () => {
  const clock = new MovableClock();
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      gateway: { clock },
      env: { LOCAL_REPORT_DUE_DAYS: '30', LOCAL_REPORT_REMINDER_DAYS: '7,14' },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('reminds on the configured days, flags overdue after the deadline, completes when the member reports', async () => {
    const id = await post(w, GUANGDONG);
    await inState(w, id, 'awaiting_local_report');
    expect(await trackLocalReports(w.gw.localReports)).toEqual({ reminded: 0, flagged: 0 });

    clock.advanceDays(8);
    expect(await trackLocalReports(w.gw.localReports)).toMatchObject({ reminded: 1 });
    expect(await trackLocalReports(w.gw.localReports)).toMatchObject({ reminded: 0 }); // once only
    expect((await get(w, id)).localReport?.remindersSent).toEqual([7]);

    clock.advanceDays(23); // day 31: past the 30-day deadline
    expect(await trackLocalReports(w.gw.localReports)).toMatchObject({ flagged: 1 });
    const t = await get(w, id);
    expect(t.localReport).toMatchObject({ status: 'pending', overdue: true });
    const overdue = await api<{ items: { id: string }[] }>(w.gw.url, 'GET', '/v1/transfers?overdue=true', {
      key: KEYS.beijing,
    });
    expect(overdue.body.items.map((i) => i.id)).toContain(id);
    await until('reminder and overdue notices', async () => {
      const types = w.beijing.received.filter((r) => r.data.transferId === id).map((r) => r.type);
      return types.includes('member.local_report_reminder') && types.includes('member.local_report_overdue');
    });
    // Each notice says where the member reports: the destination system's home page, or the
    // receiving organisation.
    for (const type of ['member.local_report_reminder', 'member.local_report_overdue']) {
      const notice = w.beijing.received.find((r) => r.data.transferId === id && r.type === type);
      expect(notice?.data.detail).toMatchObject({
        reportAt: {
          system: '广东“智慧团建”系统',
          organisation: '共青团广州市天河区委员会',
          message: expect.stringContaining('共青团广州市天河区委员会') as unknown,
        },
      });
    }

    expect(w.guangdong.control.decide(id, 'approve')).toBe(true);
    expect(w.guangdong.control.completeLocalReport(id)).toBe(true);
    await inState(w, id, 'completed');
    const after = await api<{ items: { id: string }[] }>(w.gw.url, 'GET', '/v1/transfers?overdue=true', {
      key: KEYS.beijing,
    });
    expect(after.body.items.map((i) => i.id)).not.toContain(id);
  });
});

describe('the national 10-day lapse, on a clock the test moves', () => {
  const clock = new MovableClock();
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      gateway: { clock },
      partnerNow: () => clock.now(),
      simulator: { national: { expireAfterMs: 10 * 86_400_000 } },
      env: { RECONCILE_STALE_AFTER_MS: String(86_400_000), RECONCILE_INTERVAL_MS: '100000' },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('an application nobody decides lapses after 10 days: reconciliation learns it and the transfer expires', async () => {
    const id = await post(w, NATIONAL);
    await inState(w, id, 'submitted');
    clock.advanceDays(2);
    expect(await reconcileStale(w.gw.reconcile)).toMatchObject({ checked: 1, applied: 0, unchanged: 1 });
    expect((await get(w, id)).state).toBe('submitted');

    clock.advanceDays(8.1); // day 10 and a bit: the partner lapses it when asked
    expect(await reconcileStale(w.gw.reconcile)).toMatchObject({ checked: 1, applied: 1 });
    const t = await get(w, id);
    expect(t.state).toBe('expired');
    expect(t.events.find((e) => e.type === 'expired')?.source).toBe('reconciliation');
    expect(w.national.state.records.get(id)?.status).toBe('expired');
    await until('the expiry notice', async () =>
      w.beijing.received.find((r) => r.data.transferId === id && r.data.state === 'expired'),
    );
    // Terminal: a late approval cannot revive it.
    expect(w.national.control.decide(id, 'approve')).toBe(false);
  });
});
