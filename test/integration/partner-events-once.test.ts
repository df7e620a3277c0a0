/**
 * A partner may report one fact several times at once under different webhook ids (a retry that got
 * a new id, two of its nodes, a callback racing our reconciliation). Every precondition is checked in
 * the atomic step that writes the event, so N concurrent reports of one fact apply once, record one
 * event and notify Beijing once, whatever their ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/domain/transfer.js';
import { reconcileTransfer } from '../../src/usecases/reconcile.js';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import { transferBody } from '../helpers/bodies.js';
import { api, callbackSecret, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

const N = 20;
let w: World;
let n = 0;

beforeAll(async () => {
  // The simulators never decide on their own: the test reports the facts.
  w = await startWorld({ decision: { mode: 'never' } });
});
afterAll(async () => {
  await w.close();
});

const DESTINATIONS: Record<Target, { provinceCode: string; orgFullName: string }> = {
  national: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
  guangdong: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
  fujian: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' },
};

/** A transfer the partner holds (submitted, or awaiting the member's local report). */
async function submitted(target: Target): Promise<string> {
  n += 1;
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-ONCE-${n}`, destination: DESTINATIONS[target] }, 4400 + n),
    headers: { 'idempotency-key': `once-${n}` },
  });
  expect(res.status).toBe(202);
  const id = String(res.body.id);
  const waiting = target === 'national' ? 'submitted' : 'awaiting_local_report';
  await until(`${id} to be ${waiting}`, async () => (await w.gw.store.get(id))?.state === waiting);
  return id;
}

/** N signed callbacks of one fact, each with its own webhook id, all at once. */
async function report(target: Target, type: string, id: string): Promise<number[]> {
  const secret = callbackSecret(w.gw, target);
  const body = JSON.stringify({ type, data: { transferId: id, partnerRef: 'P-1', reason: '不符合条件' } });
  const answers = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      fetch(`${w.gw.url}/v1/callbacks/${target}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...webhookHeaders(secret, `msg_${type}_${id}_${i}`, body),
        },
        body,
      }),
    ),
  );
  return answers.map((a) => a.status);
}

async function eventsOf(id: string, type: string): Promise<number> {
  return ((await w.gw.store.get(id))?.events ?? []).filter((e) => e.type === type).length;
}

/**
 * The notifications Beijing received for a transfer, once each (by webhook-id), after every one
 * written for it was delivered (a delivered notification's record is deleted).
 */
async function notificationsOf(id: string): Promise<{ type: string; state: string }[]> {
  const pending = `${w.gw.config.REDIS_PREFIX}:trf:${id}:notifications`;
  await until(`notifications of ${id} delivered`, async () => (await w.gw.redis.hlen(pending)) === 0);
  return w.beijing.received
    .filter((r) => r.data.transferId === id)
    .map((r) => ({ type: r.type, state: String(r.data.state) }));
}

describe(`${N} concurrent reports of one fact, each under its own webhook id`, () => {
  it('national account created: one event, one notification', async () => {
    const id = await submitted('national');
    const statuses = await report('national', 'member.account_created', id);
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect(await eventsOf(id, 'national_account_created')).toBe(1);
    const announced = (await notificationsOf(id)).filter((x) => x.type === 'member.account_created');
    expect(announced).toHaveLength(1);
  });

  it('national approval: one state change, one event, one notification', async () => {
    const id = await submitted('national');
    const statuses = await report('national', 'transfer.approved', id);
    expect(statuses.every((s) => s === 204)).toBe(true);
    const t = await w.gw.store.get(id);
    expect(t?.state).toBe('completed');
    expect(await eventsOf(id, 'partner_approved')).toBe(1);
    expect((await notificationsOf(id)).filter((x) => x.state === 'completed')).toHaveLength(1);
  });

  it('guangdong approval while awaiting the local report: recorded once, the wait not restarted', async () => {
    const id = await submitted('guangdong');
    const before = (await w.gw.store.get(id))?.facts.localReport;
    const statuses = await report('guangdong', 'transfer.approved', id);
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect(await eventsOf(id, 'partner_approved')).toBe(1);
    const t = await w.gw.store.get(id);
    expect(t?.state).toBe('awaiting_local_report');
    expect(t?.facts.localReport).toEqual(before);
  });

  it('fujian local report completed: one completion, one notification', async () => {
    const id = await submitted('fujian');
    const statuses = await report('fujian', 'member.local_report_completed', id);
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect((await w.gw.store.get(id))?.state).toBe('completed');
    expect(await eventsOf(id, 'local_report_completed')).toBe(1);
    expect((await notificationsOf(id)).filter((x) => x.state === 'completed')).toHaveLength(1);
  });

  it('a rejection: one terminal change, one notification', async () => {
    const id = await submitted('guangdong');
    const statuses = await report('guangdong', 'transfer.rejected', id);
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect((await w.gw.store.get(id))?.state).toBe('rejected');
    expect(await eventsOf(id, 'rejected')).toBe(1);
    expect((await notificationsOf(id)).filter((x) => x.state === 'rejected')).toHaveLength(1);
  });

  it('approval racing the member.account_created report and reconciliation still applies each fact once', async () => {
    const id = await submitted('national');
    w.national.control.decide(id, 'approve');
    await Promise.all([
      report('national', 'transfer.approved', id),
      report('national', 'member.account_created', id),
      (async () => {
        const t = await w.gw.store.get(id);
        if (t) await reconcileTransfer(w.gw.reconcile, t);
      })(),
    ]);
    await w.national.control.settle();
    expect(await eventsOf(id, 'partner_approved')).toBe(1);
    expect(await eventsOf(id, 'national_account_created')).toBe(1);
    const notes = await notificationsOf(id);
    expect(notes.filter((x) => x.type === 'member.account_created')).toHaveLength(1);
    expect(notes.filter((x) => x.state === 'completed' && x.type === 'transfer.state_changed')).toHaveLength(
      1,
    );
  });
});
