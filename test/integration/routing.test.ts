/**
 * Routing is data: which partner serves which province code is one table, the partners' own codes by
 * default, replaced by PROVINCE_ROUTES. A province that joins the national system, or gets a system
 * of its own, is a configuration change: tested both ways, through the real API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { transferBody } from '../helpers/bodies.js';
import { testEnv } from '../helpers/env.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let n = 0;
async function targetOf(gw: TestGateway, provinceCode: string): Promise<unknown> {
  n += 1;
  const res = await api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      { externalRef: `BJ-RT-${n}`, destination: { provinceCode, orgFullName: '共青团某某委员会' } },
      3300 + n,
    ),
    headers: { 'idempotency-key': `rt-${n}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.target;
}

describe('the default table', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ROLE: 'api' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('routes 44 to guangdong, 35 to fujian, every other province and the sectors to national', async () => {
    expect(await targetOf(gw, '44')).toBe('guangdong');
    expect(await targetOf(gw, '35')).toBe('fujian');
    expect(await targetOf(gw, '46')).toBe('national');
    expect(await targetOf(gw, '91')).toBe('national');
  });
});

describe('Guangdong joins the national system (PROVINCE_ROUTES without 44)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ROLE: 'api', PROVINCE_ROUTES: '{"35":"fujian"}' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('routes 44 to national; the national name check now answers for it', async () => {
    expect(await targetOf(gw, '44')).toBe('national');
    expect(await targetOf(gw, '35')).toBe('fujian');
    // Capability, not name: 44 is now a national destination, so the full-name check applies to it
    // (the partner is not running here: 503, not 422 CHECK_NOT_SUPPORTED).
    const check = await api(gw.url, 'GET', '/v1/orgs/check?provinceCode=44&fullName=x', {
      key: KEYS.beijing,
    });
    expect(check.body.code).not.toBe('CHECK_NOT_SUPPORTED');
  });
});

describe('Hainan gets a system of its own (here: served by the Guangdong partner)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      ROLE: 'api',
      PROVINCE_ROUTES: '{"44":"guangdong","35":"fujian","46":"guangdong"}',
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('routes 46 to that partner, everything else as before', async () => {
    expect(await targetOf(gw, '46')).toBe('guangdong');
    expect(await targetOf(gw, '44')).toBe('guangdong');
    expect(await targetOf(gw, '37')).toBe('national');
    const check = await api(gw.url, 'GET', '/v1/orgs/check?provinceCode=46&fullName=x', {
      key: KEYS.beijing,
    });
    expect(check.status).toBe(422);
    expect(check.body.code).toBe('CHECK_NOT_SUPPORTED');
  });
});

describe('a wrong table stops the gateway at start, naming every problem', () => {
  it.each([
    ['{"44":"hongkong"}', /"hongkong" \(for 44\) is not a partner/],
    ['{"11":"national"}', /11 \(Beijing\) is internal/],
    ['{"99":"national"}', /"99" is not a province-level or national-sector code/],
    ['["44"]', /must be a JSON object/],
  ])('PROVINCE_ROUTES=%s', (routes, problem) => {
    let error: unknown;
    try {
      loadConfig(testEnv({ PROVINCE_ROUTES: routes }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(problem);
  });
});
