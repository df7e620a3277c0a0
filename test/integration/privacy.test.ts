/**
 * Personal data: encrypted at rest, masked in responses and logs. After a run the test reads every key
 * under the gateway's prefix, and Redis's own AOF files, and finds no plaintext ID number, name or phone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';
import type { TransferPii } from '../../src/store/types.js';

let gw: TestGateway;
let redis: Redis;
const ID_NUMBERS = [validIdNumber(501), validIdNumber(502, '19991231'), validIdNumber(503)];
const NAME = '欧阳娜娜';
const PHONE = '13912345678';
const CONTACT = { name: '王小明', phone: '13700001111', relationship: '父亲' };

async function dumpPrefix(prefix: string): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.get(key)) ?? '');
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') out.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') out.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'set') out.push(...(await redis.smembers(key)));
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return out.join('\n');
}

function plaintextIn(text: string): string[] {
  return [...ID_NUMBERS, NAME, PHONE, CONTACT.name, CONTACT.phone].filter((s) => text.includes(s));
}

beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api' });
  redis = testRedisClient();
  let n = 0;
  for (const idNumber of ID_NUMBERS) {
    const res = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      headers: { 'idempotency-key': `privacy-${++n}` },
      body: transferBody({
        member: { name: NAME, idNumber, phone: PHONE },
        reason: {
          kind: 'abroad',
          purpose: 'study',
          countryOrRegion: '新加坡',
          departureDate: '2026-09-01',
          domesticContact: CONTACT,
        },
      }),
    });
    expect(res.status).toBe(202);
  }
  // A refused request that carries personal data must not leave it anywhere either.
  await api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    headers: { 'idempotency-key': 'privacy-bad' },
    body: transferBody({ member: { name: NAME, idNumber: ID_NUMBERS[0], phone: '999' } }),
  });
});
afterAll(async () => {
  await gw.close();
  await redis.quit();
});

describe('personal data', () => {
  it('is masked in responses', async () => {
    const list = await api<{ items: Record<string, unknown>[] }>(gw.url, 'GET', '/v1/transfers?limit=10', {
      key: KEYS.beijing,
    });
    const text = JSON.stringify(list.body);
    expect(plaintextIn(text)).toEqual([]);
    expect(list.body.items[0]).toMatchObject({
      member: {
        name: '欧***',
        phone: '139****5678',
        idNumber: expect.stringMatching(/^110105\*{8}\d{3}[\dX]$/),
      },
      reason: { domesticContact: { name: '王**', phone: '137****1111', relationship: '父亲' } },
    });
  });

  it('is not in plain text anywhere in Redis, nor in its AOF files', async () => {
    expect(plaintextIn(await dumpPrefix(gw.config.REDIS_PREFIX))).toEqual([]);
    await redis.bgrewriteaof().catch(() => undefined); // fold everything into the base file as well
    await new Promise((r) => setTimeout(r, 300));
    const dirReply = (await redis.config('GET', 'dir')) as string[];
    const aofDir = join(dirReply[1] ?? '', 'appendonlydir');
    const files = readdirSync(aofDir);
    expect(files.length).toBeGreaterThan(0);
    const aof = files.map((f) => readFileSync(join(aofDir, f)).toString('utf8')).join('\n');
    expect(aof).toContain(gw.config.REDIS_PREFIX); // the files do hold this run's writes…
    expect(plaintextIn(aof)).toEqual([]); // …but no personal data in the clear
  });

  it('is sealed with the first PII key and opens again, bound to its own transfer', async () => {
    const [t] = (await gw.store.list({}, 1)).items;
    expect(t?.piiSealed).toMatch(/^v1\.k2026a\./);
    const pii = JSON.parse(gw.cipher.open(t!.piiSealed, t!.doc.id)) as TransferPii;
    expect(ID_NUMBERS).toContain(pii.idNumber);
    expect(pii.domesticContact).toEqual(CONTACT);
    expect(() => gw.cipher.open(t!.piiSealed, 'trf_someone_else')).toThrow(/failed authentication/);
  });

  it('is masked in log lines, even when a caller logs a raw body', () => {
    gw.log.info({ member: { name: NAME, idNumber: ID_NUMBERS[0], phone: PHONE } }, 'careless');
    gw.log.info(
      { body: { member: { name: NAME, idNumber: ID_NUMBERS[1] }, reason: { domesticContact: CONTACT } } },
      'careless body',
    );
    const logs = gw.logs.join('');
    expect(logs).toContain('careless');
    expect(logs).toContain('110105********');
    expect(plaintextIn(logs)).toEqual([]);
    expect(logs).not.toContain(KEYS.beijing);
  });
});
