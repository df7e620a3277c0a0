/**
 * The operator CLI as operators run it: `node --import tsx src/cli/index.ts …` as a child process with
 * TGW_URL/TGW_KEY, against a whole world (gateway, partner simulators, Beijing receiver) over HTTP.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryJobId, notificationJobId } from '../../queues/names.js';
import { notificationJobOptions } from '../../queues/options.js';
import { startBeijingReceiver, type BeijingReceiver } from '../../scripts/beijing-receiver.js';
import { freePort } from '../../scripts/lib/redis-server.js';
import { Transitions } from '../../src/usecases/transitions.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { testEnv } from '../helpers/env.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startWorld, until, type World } from '../helpers/world.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with TGW_URL/TGW_KEY (undefined removes one), stdin not a terminal. */
function tgw(args: string[], env: { url: string; key?: string | undefined }): Promise<Run> {
  const childEnv: Record<string, string | undefined> = { ...process.env, TGW_URL: env.url, TGW_KEY: env.key };
  if (env.key === undefined) delete childEnv.TGW_KEY;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Transfer = { id: string; state: string; attempts: number; lastError: { code: string } | null };

let n = 0;
async function post(base: string, overrides: Record<string, unknown> = {}): Promise<string> {
  n += 1;
  const res = await api(base, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-CLI-${n}`, ...overrides }, n),
    headers: { 'idempotency-key': `cli-${n}-${Date.now()}` },
  });
  expect(res.status).toBe(202);
  return String(res.body.id);
}

const get = async (base: string, id: string) =>
  (await api<Transfer>(base, 'GET', `/v1/transfers/${id}`, { key: KEYS.ops })).body;

const settled = (base: string, id: string, state?: string) =>
  until(`transfer ${id} to settle`, async () => {
    const t = await get(base, id);
    return (state ? t.state === state : t.state !== 'accepted') ? t : null;
  });

const national = { destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' } };
const fujian = { destination: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' } };

describe('tgw against a running gateway', () => {
  let w: World;
  let ops: { url: string; key: string };
  let delivered: string; // guangdong, awaiting_local_report
  let orgNotFound: string; // national, failed with ORG_NOT_FOUND

  beforeAll(async () => {
    w = await startWorld();
    ops = { url: w.gw.url, key: KEYS.ops };
    delivered = await post(w.gw.url);
    await settled(w.gw.url, delivered, 'awaiting_local_report');
    orgNotFound = await post(w.gw.url, national);
    await settled(w.gw.url, orgNotFound, 'failed');
  });
  afterAll(async () => {
    await w.close();
  });

  it('transfers list: a table newest first, filters, --json, and --all follows the cursors', async () => {
    const table = await tgw(['transfers', 'list'], ops);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TARGET\s+STATE\s+ATTEMPTS\s+LAST ERROR\s+UPDATED$/);
    const failedRow = lines.findIndex((l) => l.startsWith(orgNotFound));
    const deliveredRow = lines.findIndex((l) => l.startsWith(delivered));
    expect(failedRow).toBeGreaterThan(0);
    expect(failedRow).toBeLessThan(deliveredRow); // newest first
    expect(lines[failedRow]).toMatch(
      /national\s+failed\s+0\s+ORG_NOT_FOUND\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
    );
    expect(lines[deliveredRow]).toMatch(/guangdong\s+awaiting_local_report\s+1\s+-\s/);

    const failed = await tgw(['transfers', 'list', '--state', 'failed', '--json'], ops);
    expect(failed.code).toBe(0);
    const items = JSON.parse(failed.stdout) as Transfer[];
    expect(items.map((t) => t.id)).toContain(orgNotFound);
    expect(items.every((t) => t.state === 'failed')).toBe(true);

    const onePage = await tgw(['transfers', 'list', '--limit', '1'], ops);
    expect(onePage.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(onePage.stderr).toContain('more with --all');
    const all = await tgw(['transfers', 'list', '--limit', '1', '--all', '--json'], ops);
    const ids = (JSON.parse(all.stdout) as Transfer[]).map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining([delivered, orgNotFound]));
    expect(new Set(ids).size).toBe(ids.length);

    const bad = await tgw(['transfers', 'list', '--state', 'stuck'], ops);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown state "stuck"');
  });

  it('transfers show: the transfer, its timeline and last error, personal data only masked', async () => {
    const ok = await tgw(['transfers', 'show', delivered], ops);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^id\\s+${delivered}$`, 'm'));
    expect(ok.stdout).toMatch(/^state\s+awaiting_local_report$/m);
    expect(ok.stdout).toMatch(/^localReport\s+pending, due \d{4}-/m);
    expect(ok.stdout).toContain('timeline:');
    expect(ok.stdout).toMatch(/^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+api\s+accepted/m);
    expect(ok.stdout).toMatch(/^ {2}\S+ \S+\s+worker\s+awaiting_local_report\s+partnerRef=GD/m);
    expect(ok.stdout).toContain('110105********');
    expect(ok.stdout).not.toContain(validIdNumber(1));
    expect(ok.stdout).not.toContain('13800000000');

    const failed = await tgw(['transfers', 'show', orgNotFound], ops);
    expect(failed.stdout).toMatch(/^last error: ORG_NOT_FOUND: /m);
    expect(failed.stdout).toContain('the partner suggests:');

    const json = await tgw(['transfers', 'show', delivered, '--json'], ops);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: delivered, events: expect.any(Array) });

    const missing = await tgw(['transfers', 'show', 'trf_01JAAAAAAAAAAAAAAAAAAAAAAA'], ops);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'tgw: 404 TRANSFER_NOT_FOUND: no transfer with id trf_01JAAAAAAAAAAAAAAAAAAAAAAA\n',
    );
  });

  it('transfers retry --all-failed --yes: retries every failed transfer of a target, with progress', async () => {
    w.guangdong.control.setFaults({ reject: { reason: '材料不全' } });
    const ids = [await post(w.gw.url), await post(w.gw.url), await post(w.gw.url)];
    for (const id of ids) await settled(w.gw.url, id, 'failed');
    w.guangdong.control.clearFaults();

    const unconfirmed = await tgw(['transfers', 'retry', '--all-failed', '--target', 'guangdong'], ops);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('3 failed guangdong transfers would be retried; pass --yes');
    expect((await get(w.gw.url, ids[0]!)).state).toBe('failed');

    const run = await tgw(['transfers', 'retry', '--all-failed', '--target', 'guangdong', '--yes'], ops);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('retried 3 of 3 transfers');
    expect(run.stderr).toContain('retrying: 3/3 (100%)');
    expect(run.stderr).not.toContain('\r'); // not a terminal: plain lines
    for (const id of ids) {
      const t = await settled(w.gw.url, id, 'awaiting_local_report');
      expect(t.attempts).toBe(2);
    }
    // The other target's failed transfer was left alone.
    expect((await get(w.gw.url, orgNotFound)).state).toBe('failed');

    const none = await tgw(['transfers', 'retry', '--all-failed', '--target', 'guangdong', '--yes'], ops);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('no failed guangdong transfers\n');
  });

  it('transfers retry <id...>: retries what it can, lists each refusal with its code, exits 1', async () => {
    const run = await tgw(['transfers', 'retry', orgNotFound, delivered], ops);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('retried 1 of 2 transfers');
    expect(run.stdout).toMatch(
      new RegExp(`refused 1:\\n.*\\n {2}${delivered}\\s+409 INVALID_STATE\\s+only a failed`),
    );
    // It really ran again (and the partner still does not know the org).
    const t = await settled(w.gw.url, orgNotFound, 'failed');
    expect(t.lastError?.code).toBe('ORG_NOT_FOUND');
    expect((await tgw(['transfers', 'retry'], ops)).code).toBe(2);
  });

  it('targets pause: a new transfer waits in its queue; resume: it is delivered', async () => {
    const paused = await tgw(['targets', 'pause', 'fujian'], ops);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^fujian: delivery paused; 0 jobs waiting stay queued/);
    try {
      const id = await post(w.gw.url, fujian);
      const queue = w.gw.producer.queue('fujian');
      await until(
        'the job to be queued',
        async () => (await queue.getJobState(deliveryJobId(id, 1))) === 'waiting',
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await get(w.gw.url, id)).state).toBe('accepted');
      expect(await queue.getJobState(deliveryJobId(id, 1))).toBe('waiting');
      expect(w.fujian.state.records.has(id)).toBe(false);

      const status = await tgw(['targets', '--json'], ops);
      expect(status.code).toBe(0);
      const items = JSON.parse(status.stdout) as {
        target: string;
        paused: boolean;
        counts: { waiting: number };
      }[];
      expect(items.map((s) => s.target)).toEqual(['national', 'guangdong', 'fujian']);
      expect(items.find((s) => s.target === 'fujian')).toMatchObject({
        paused: true,
        breaker: 'closed',
        counts: { waiting: 1 },
      });
      expect(items.find((s) => s.target === 'guangdong')).toMatchObject({ paused: false });
      const table = await tgw(['targets'], ops);
      expect(table.stdout).toMatch(/^TARGET\s+DELIVERY\s+BREAKER\s+WAITING\s+ACTIVE/);
      expect(table.stdout).toMatch(/^fujian\s+PAUSED\s+closed\s+1\s+0\s/m);
      expect(table.stdout).toMatch(/^national\s+running\s+closed\s/m);

      const resumed = await tgw(['targets', 'resume', 'fujian'], ops);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^fujian: delivery running/);
      expect((await settled(w.gw.url, id)).state).toBe('awaiting_local_report');
    } finally {
      await w.gw.producer.queue('fujian').resume();
    }
    // The gateway knows its partners; the CLI asks it.
    const unknown = await tgw(['targets', 'pause', 'mars'], ops);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no target called mars');
    const malformed = await tgw(['targets', 'pause', 'Mars!'], ops);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('is not a partner id');
  });

  it('the ops API refuses an unknown target (404) and keys without the ops scope', async () => {
    const res = await api(w.gw.url, 'POST', '/v1/ops/targets/mars/pause', { key: KEYS.ops });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('UNKNOWN_TARGET');
    expect((await api(w.gw.url, 'GET', '/v1/ops/targets', { key: KEYS.beijing })).status).toBe(403);
    expect((await api(w.gw.url, 'POST', '/v1/ops/targets/fujian/pause')).status).toBe(401);
    expect(await w.gw.producer.queue('fujian').isPaused()).toBe(false);
  });

  it('exit 3 for a wrong key, a key without the ops scope, or none', async () => {
    const wrong = await tgw(['targets'], { url: w.gw.url, key: 'not-a-key-0123456789' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toBe(
      'tgw: the key is missing, invalid or lacks the ops scope (401 UNAUTHENTICATED: a valid bearer key is required)\n',
    );
    const reader = await tgw(['transfers', 'retry', orgNotFound], { url: w.gw.url, key: KEYS.reader });
    expect(reader.code).toBe(3);
    expect(reader.stderr).toContain('403 FORBIDDEN');
    const none = await tgw(['transfers', 'list'], { url: w.gw.url, key: undefined });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('set TGW_KEY or pass --key');
    // --key wins over TGW_KEY.
    const flag = await tgw(['--key', KEYS.ops, 'targets'], { url: w.gw.url, key: 'not-a-key-0123456789' });
    expect(flag.code).toBe(0);
  });

  it('exit 4 with the URL and the network error on one line when the gateway cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await tgw(['transfers', 'list'], { url, key: KEYS.ops });
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `tgw: cannot reach the gateway at ${url}: connect ECONNREFUSED ${url.slice(7)}\n`,
    );
    expect(run.stdout).toBe('');
  });

  it('exit 2 for an unknown command or option; help and --help exit 0', async () => {
    const unknown = await tgw(['transfer', 'list'], ops);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "transfer"');
    expect((await tgw([], ops)).code).toBe(2);
    expect((await tgw(['transfers'], ops)).stderr).toContain('transfers needs a command: list, show, retry');
    expect((await tgw(['transfers', 'list', '--colour'], ops)).stderr).toContain('unknown option --colour');
    expect((await tgw(['targets', '--url', 'ftp://x'], ops)).code).toBe(2);

    const help = await tgw(['help'], ops);
    expect(help.code).toBe(0);
    for (const c of [
      'transfers list',
      'transfers show',
      'transfers retry',
      'targets pause',
      'notifications replay',
    ]) {
      expect(help.stdout).toContain(c);
    }
    const retryHelp = await tgw(['transfers', 'retry', '--help'], ops);
    expect(retryHelp.code).toBe(0);
    expect(retryHelp.stdout).toContain('--all-failed');
    expect((await tgw(['help', 'targets', 'pause'], ops)).stdout).toMatch(
      /^usage: tgw targets pause <target>/,
    );
  });
});

describe('tgw notifications', () => {
  const SECRET = testEnv().NOTIFY_SECRET!;
  let gw: TestGateway;
  let receiver: BeijingReceiver | undefined;
  let port: number;
  let ops: { url: string; key: string };
  let jobId: string;
  let transferId: string;

  beforeAll(async () => {
    // A Beijing system that is down: a free port left closed.
    port = await freePort();
    gw = await startTestGateway(
      {
        NOTIFY_URL: `http://127.0.0.1:${port}/notifications`,
        REDIS_PREFIX: uniquePrefix('cli-notify'),
        WORKERS: 'notify',
        OUTBOX_SWEEP_MS: '600000',
      },
      { notify: { backoffBaseMs: 50, backoffMaxMs: 200 } },
    );
    ops = { url: gw.url, key: KEYS.ops };
    transferId = await post(gw.url);
    // accepted → failed with the queue down, then its job added with one attempt: it fails for good.
    const queueDown = new Transitions(
      gw.store,
      { enqueueNotification: () => Promise.reject(new Error('queue down')) },
      gw.log,
    );
    const outcome = await queueDown.apply(transferId, {
      from: ['accepted'],
      to: 'failed',
      event: {
        at: new Date().toISOString(),
        type: 'failed',
        source: 'worker',
        detail: { code: 'PARTNER_REFUSED' },
      },
      notify: { detail: { code: 'PARTNER_REFUSED' } },
    });
    if (!outcome.ok) throw new Error('transition refused');
    await gw.store.removeNotificationFromOutbox(transferId, outcome.version);
    jobId = notificationJobId(transferId, outcome.version);
    await gw.notifications.queue.add(
      'notify',
      { transferId, seq: outcome.version },
      { ...notificationJobOptions, attempts: 1, jobId },
    );
    await until(
      'the notification to fail',
      async () => (await gw.notifications.queue.getJobState(jobId)) === 'failed',
    );
  });
  afterAll(async () => {
    await gw.close();
    await receiver?.close();
  });

  it('notifications list shows the failed notification with its reason', async () => {
    const run = await tgw(['notifications', 'list'], ops);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+CHANGE\s+ATTEMPTS\s+LAST ATTEMPT\s+REASON$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${jobId}\\s+accepted → failed\\s+1\\s+\\S+ \\S+Z\\s+could not reach the Beijing system$`),
    );
    const json = await tgw(['notifications', 'list', '--status', 'failed', '--json'], ops);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: jobId, status: 'failed' })]);
    expect((await tgw(['notifications', 'list', '--status', 'completed'], ops)).stdout).toBe(
      'no completed notifications\n',
    );
  });

  it('notifications replay: usage and refusals, then --all once Beijing is back, and it is delivered', async () => {
    expect((await tgw(['notifications', 'replay'], ops)).code).toBe(2);
    expect((await tgw(['notifications', 'replay', '--all', jobId], ops)).code).toBe(2);
    const unknown = await tgw(['notifications', 'replay', `${transferId}-n999`], ops);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404 NOTIFICATION_NOT_FOUND');

    receiver = await startBeijingReceiver({ port, secret: SECRET, log: () => undefined });
    const run = await tgw(['notifications', 'replay', '--all'], ops);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('replayed 1 notification; queued for delivery to Beijing again\n');
    const r = receiver;
    const got = await until('the replayed notification', async () =>
      r.received.find((x) => x.data.transferId === transferId),
    );
    expect(got.data).toMatchObject({ state: 'failed', previousState: 'accepted' });
    await until(
      'the job to complete',
      async () => (await gw.notifications.queue.getJobState(jobId)) === 'completed',
    );
    expect((await tgw(['notifications', 'list'], ops)).stdout).toBe('no failed notifications\n');
    const again = await tgw(['notifications', 'replay', jobId], ops);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 NOTIFICATION_NOT_FAILED');
  });
});
