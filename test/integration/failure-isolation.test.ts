/**
 * One bad transfer never hurts the others. Stored transfers the delivery cannot send (an adapter that
 * throws while encoding, personal data that does not open) are our failures, not the partner's: they
 * never count toward its breaker or its attempts, they fail alone with DELIVERY_ERROR after a bounded
 * number of tries, the cause is logged once, and valid transfers to the same partner go through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS } from '../helpers/gateway.js';
import { storePoison } from '../helpers/poison.js';
import { startWorld, until, type World } from '../helpers/world.js';

let w: World;
beforeAll(async () => {
  w = await startWorld({
    decision: { mode: 'never' },
    env: {
      // A breaker this eager would open after five failures if our failures counted against the partner.
      BREAKER_VOLUME_THRESHOLD: '5',
      BREAKER_ERROR_PERCENT: '50',
      DELIVERY_BACKOFF_BASE_MS: '100',
      DELIVERY_MAX_ERRORS: '3',
      RATE_LIMIT_NATIONAL: '200',
    },
  });
});
afterAll(async () => {
  await w.close();
});

describe('poison transfers among valid ones to the same partner', () => {
  it('fail alone with DELIVERY_ERROR, never open the breaker, never count as attempts', async () => {
    const deps = {
      redis: w.gw.redis,
      prefix: w.gw.config.REDIS_PREFIX,
      store: w.gw.store,
      cipher: w.gw.cipher,
      queue: w.gw.producer,
    };
    const breaker: string[] = [];
    w.gw.partners.get('national').caller.onStateChange((s) => breaker.push(s));

    const poison: string[] = [];
    for (let i = 0; i < 8; i++) poison.push(await storePoison(deps, i % 2 ? 'bad_pii' : 'bad_org_name', i));
    const valid: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await api(w.gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body: transferBody(
          {
            externalRef: `BJ-ISO-${i}`,
            destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
          },
          5500 + i,
        ),
        headers: { 'idempotency-key': `iso-${i}` },
      });
      expect(res.status).toBe(202);
      valid.push(String(res.body.id));
    }

    await until(
      'every valid transfer to be submitted',
      async () => (await w.gw.store.getMany(valid)).every((t) => t.state === 'submitted'),
      20_000,
    );
    await until(
      'every poison transfer to fail',
      async () => (await w.gw.store.getMany(poison)).every((t) => t.state === 'failed'),
      20_000,
    );

    for (const t of await w.gw.store.getMany(poison)) {
      expect(t.facts.lastError).toMatchObject({ code: 'DELIVERY_ERROR' });
      expect(t.attempts).toBe(0); // nothing ever left for the partner
      expect(w.national.state.records.has(t.doc.id)).toBe(false);
      expect(t.facts.deliveryErrors).toBe(3);
    }
    for (const t of await w.gw.store.getMany(valid)) expect(t.attempts).toBe(1);
    expect(breaker).toEqual([]);
    expect(w.gw.partners.get('national').caller.state).toBe('closed');

    // The cause is logged once per poison transfer, at the end, and never as a partner failure.
    const lines = w.gw.logs.join('').split('\n').filter(Boolean);
    const failedLines = lines.filter((l) => l.includes('the gateway could not deliver this transfer'));
    expect(failedLines).toHaveLength(poison.length);
    for (const id of poison) expect(failedLines.filter((l) => l.includes(id))).toHaveLength(1);
    expect(lines.some((l) => l.includes('breaker open'))).toBe(false);
  });

  it('a store outage as a run leaves partner code does not count as a crash of that run', async () => {
    const store = w.gw.store;
    const setFields = store.setFields.bind(store);
    let refused = 0;
    // The store is unreachable for the first two tries of clearing the crash mark.
    store.setFields = async (id, fields) => {
      if (fields.crashRuns === '0' && refused < 2) {
        refused += 1;
        throw new StoreUnavailableError();
      }
      return setFields(id, fields);
    };
    try {
      const res = await api(w.gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body: transferBody(
          {
            externalRef: 'BJ-ISO-HICCUP',
            destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
          },
          5599,
        ),
        headers: { 'idempotency-key': 'iso-hiccup' },
      });
      const id = String(res.body.id);
      await until('the transfer to be submitted', async () => (await store.get(id))?.state === 'submitted');
      await until('the crash mark to be cleared', async () => (await store.get(id))?.facts.crashRuns === 0);
      expect(refused).toBe(2);
    } finally {
      store.setFields = setFields;
    }
  });
});
