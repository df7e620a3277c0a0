/**
 * The operator's view, in a real browser: Debian's Chromium driven by playwright-core logs into the queue
 * dashboard with HTTP Basic, sees the three delivery queues with their counts, cannot be made to change a
 * queue by another site's page, and opens the API docs. Screenshots are kept in test-artifacts/.
 */
import { deliveryQueue } from '../helpers/partners.js';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/domain/transfer.js';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Transfers posted per target (distinct counts, so each card's number is its own). */
const DESTINATIONS: readonly [Target, string, string][] = [
  ['national', '31', '共青团上海市委员会'],
  ['national', '32', '共青团江苏省委员会'],
  ['national', '50', '共青团重庆市委员会'],
  ['guangdong', '44', '共青团广州市天河区委员会'],
  ['guangdong', '44', '共青团深圳市南山区委员会'],
  ['fujian', '35', '中国共产主义青年团福建省福州市委员会'],
];
const EXPECTED: Readonly<Record<Target, number>> = { national: 3, guangdong: 2, fujian: 1 };

let gw: TestGateway;
let browser: Browser;
let context: BrowserContext;
/** Requests leaving this machine (bull-board's web font), refused: the test never needs a network. */
const blocked: string[] = [];

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  await page.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname),
    async (route) => {
      blocked.push(route.request().url());
      await route.abort('blockedbyclient');
    },
  );
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`bash scripts/ensure-deps.sh\` as root ` +
        '(or `apt-get install chromium`), then run the browser tests again',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  // ROLE api runs no workers, so every posted transfer's delivery job stays waiting in its queue.
  gw = await startTestGateway({ ROLE: 'api' });
  for (const [i, [target, provinceCode, orgFullName]] of DESTINATIONS.entries()) {
    const res = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      headers: { 'idempotency-key': `browser-${i}` },
      body: transferBody({ destination: { provinceCode, orgFullName } }, 500 + i),
    });
    expect(res.status).toBe(202);
    expect(res.body.target).toBe(target);
  }
  // launch() gives the browser a fresh temporary user-data-dir of its own, removed on close.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  context = await browser.newContext({
    httpCredentials: { username: gw.config.OPS_USER, password: gw.config.OPS_PASSWORD, origin: gw.url },
    viewport: { width: 1440, height: 900 },
  });
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

describe('queue dashboard in Chromium', () => {
  it('refuses a browser with wrong operator credentials', async () => {
    const anonymous = await browser.newContext({
      httpCredentials: { username: gw.config.OPS_USER, password: 'not-the-password', origin: gw.url },
    });
    try {
      const page = await anonymous.newPage();
      const res = await page.goto(`${gw.url}/admin/queues`);
      expect(res?.status()).toBe(401);
    } finally {
      await anonymous.close();
    }
  });

  it('logs in and shows the three delivery queues with their counts', async () => {
    const page = await newPage();
    const res = await page.goto(`${gw.url}/admin/queues`);
    expect(res?.status()).toBe(200);
    for (const target of Object.keys(EXPECTED)) {
      const name = deliveryQueue(target);
      const count = EXPECTED[target];
      // The overview card: the queue's link and its job total (the sidebar has the link alone).
      const card = page
        .getByRole('listitem')
        .filter({ has: page.getByRole('link', { name, exact: true }) })
        .filter({ hasText: /\d+ Jobs?$/ });
      await card.waitFor({ state: 'visible' });
      await expect.poll(() => card.innerText()).toMatch(new RegExp(`\\b${count} Jobs?\\b`));
      expect(await card.getByRole('link', { name, exact: true }).isVisible()).toBe(true);
    }
    const waiting = page.getByRole('link', { name: /^WAITING\s+6$/ });
    await waiting.waitFor({ state: 'visible' });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // One queue's own page lists its waiting jobs by their ids, and nothing personal.
    await page
      .getByRole('link', { name: deliveryQueue('national'), exact: true })
      .first()
      .click();
    await page.waitForURL(/\/admin\/queues\/queue\/deliver-national/);
    const jobIds = page.getByText(/^trf_[0-9A-Z]{26}-g1$/);
    await jobIds.first().waitFor({ state: 'visible' });
    await expect.poll(() => jobIds.count()).toBe(EXPECTED.national);
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('张三');
    expect(text).not.toMatch(/110105\d{8}/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-deliver-national.png`, fullPage: true });
    await page.close();
  });

  it("cannot be driven by another site's page, though the browser holds the operator's login", async () => {
    // Another origin (localhost instead of 127.0.0.1) whose page posts a form into the dashboard's API.
    const target = `${gw.url}/admin/queues/api/queues/${deliveryQueue('fujian')}/add`;
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><form id="f" method="POST" action="${target}" enctype="text/plain">` +
          `<input name='{"name":"x","data":{},"ignore":"' value='"}'></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = evil.address() as AddressInfo;
      const page = await newPage();
      const answer = page.waitForResponse((r) => r.url() === target);
      await page.goto(`http://localhost:${port}/`);
      const res = await answer;
      // 403, not 401: the browser did send the operator's credentials; the same-origin rule refused it.
      expect(res.status()).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'CSRF_REJECTED' });
      expect((await res.request().allHeaders()).origin).toBe(`http://localhost:${port}`);
      expect(await gw.producer.queue('fujian').getWaitingCount()).toBe(EXPECTED.fujian);
      await page.close();
    } finally {
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
  });
});

describe('API docs in Chromium', () => {
  it('opens the docs page, titled with the API title of /openapi.json', async () => {
    const spec = await fetch(`${gw.url}/openapi.json`);
    expect(spec.status, '/openapi.json must be served').toBe(200);
    const { info } = (await spec.json()) as { info: { title: string } };
    expect(info.title).toBeTruthy();

    const page = await newPage();
    const res = await page.goto(`${gw.url}/docs`);
    expect(res?.status(), '/docs must be served').toBe(200);
    const heading = page.getByRole('heading', { level: 1 }).first();
    await expect
      .poll(async () => `${await page.title()} | ${(await heading.count()) ? await heading.innerText() : ''}`)
      .toContain(info.title);
    await page.screenshot({ path: `${ARTIFACTS}docs.png` }); // the top of a long page
    await page.close();
  });
});
