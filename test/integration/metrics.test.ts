/**
 * /metrics as Prometheus reads it: checked by promtool (Debian's prometheus package), an independent
 * parser and linter, and the series an operator needs are there with the right values.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

let w: World;
let text = '';

function sample(name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

beforeAll(async () => {
  w = await startWorld({
    env: {
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_MS: '60000',
      DELIVERY_BACKOFF_BASE_MS: '50',
      DELIVERY_BACKOFF_MAX_MS: '100',
    },
  });
  const post = (n: number, destination: Record<string, string>) =>
    api(w.gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      body: transferBody({ externalRef: `BJ-MET-${n}`, destination }, 700 + n),
      headers: { 'idempotency-key': `met-${n}-${Date.now()}` },
    });
  const ok = await post(1, { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' });
  await until('submitted', async () => (await w.gw.store.get(String(ok.body.id)))?.state === 'submitted');
  // A partner that is down: errors counted by code, the breaker opens.
  w.fujian.control.setFaults({ down: true });
  for (let i = 2; i <= 4; i++)
    await post(i, { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' });
  await until('the fujian breaker to open', async () => w.gw.partners.get('fujian').caller.state === 'open');
  // A callback with a bad signature: refused, and counted.
  await api(w.gw.url, 'POST', '/v1/callbacks/national', {
    raw: '{}',
    headers: {
      'content-type': 'application/json',
      'webhook-id': 'x',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': 'v1,AAAA',
    },
  });
  const res = await fetch(`${w.gw.url}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  text = await res.text();
});
afterAll(async () => {
  await w.close();
});

describe('/metrics', () => {
  it('passes promtool check metrics', () => {
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(
      run.error,
      'promtool is installed by scripts/ensure-deps.sh (Debian package prometheus)',
    ).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });

  it('shows transfers by state and target, and queue depth by queue and job state', () => {
    expect(sample('tgw_transfers', { state: 'submitted', target: 'national' })).toBe(1);
    expect(sample('tgw_transfers', { state: 'accepted', target: 'fujian' })).toBe(3);
    expect(sample('tgw_queue_jobs', { queue: 'deliver-national', state: 'completed' })).toBe(1);
    expect(sample('tgw_queue_jobs', { queue: 'maintenance', state: 'waiting' })).toBeDefined();
  });

  it('shows partner latency, partner errors by code and breaker state per target', () => {
    expect(
      sample('tgw_partner_request_duration_seconds_count', {
        target: 'national',
        operation: 'submit',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sample('tgw_partner_errors_total', { target: 'fujian', code: 'PARTNER_UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample('tgw_breaker_state', { target: 'fujian' })).toBe(2);
    expect(sample('tgw_breaker_state', { target: 'national' })).toBe(0);
  });

  it('shows callback outcomes, job durations, the notification backlog and overdue local reports', () => {
    expect(sample('tgw_callbacks_total', { target: 'national', outcome: 'refused:bad_signature' })).toBe(1);
    expect(
      sample('tgw_job_duration_seconds_count', { queue: 'deliver-national', outcome: 'completed' }),
    ).toBe(1);
    expect(sample('tgw_notification_backlog', { state: 'failed' })).toBe(0);
    expect(sample('tgw_notification_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample('tgw_local_reports_overdue')).toBe(0);
  });

  it('never carries personal data', () => {
    expect(text).not.toMatch(/110105\d{11}[\dX]/); // the ID numbers these tests post
    expect(text).not.toContain('1380000');
  });
});
