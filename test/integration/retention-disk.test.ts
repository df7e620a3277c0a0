/**
 * Erased data leaves the disk: after a purge the gateway asks Redis to rewrite its append-only file,
 * and the files then hold nothing of the purged transfer, while a transfer in flight is still there
 * (so the search can see what the files hold). On a Redis of its own, with AOF on as in production.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RetentionStatus } from '../../src/usecases/retention.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../scripts/lib/redis-server.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

let redis: RedisHandle;
let w: World;
let dir: string;
const clock = new MovableClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tgw-aof-'));
  redis = await startRedis({ dir, loglevel: 'warning' });
  w = await startWorld({
    decision: { mode: 'never' },
    gateway: { clock },
    partnerNow: () => clock.now(),
    env: { REDIS_URL: redis.url, RETENTION_SWEEP_MS: '3600000' },
  });
});
afterAll(async () => {
  await w?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte Redis keeps on disk: the append-only files (base and increments) and any snapshot. */
function disk(): Buffer {
  const files: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(readFileSync(path));
    }
  };
  walk(dir);
  return Buffer.concat(files);
}

async function post(n: number, destination: { provinceCode: string; orgFullName: string }) {
  const idNumber = validIdNumber(900 + n, '19970303');
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      {
        externalRef: `BJ-DISK-${n}`,
        destination,
        member: { name: '诸葛孔明', idNumber, phone: '13655556666' },
      },
      900 + n,
    ),
    headers: { 'idempotency-key': `disk-${n}` },
  });
  expect(res.status).toBe(202);
  return { id: String(res.body.id), idNumber };
}

async function rewriteDone(): Promise<void> {
  await until(
    'the AOF rewrite to finish',
    async () => {
      const info = await w.gw.redis.info('persistence');
      return /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) ? true : null;
    },
    30_000,
  );
}

it('after a purge and the rewrite the gateway asks for, no file holds the purged data', async () => {
  const MIN = 60_000;
  const p = w.gw.config.REDIS_PREFIX;
  const failed = async (n: number) => {
    const t = await post(n, { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' });
    await until('failed', async () => ((await w.gw.store.get(t.id))?.state === 'failed' ? true : null));
    return { ...t, sealed: (await w.gw.redis.hget(`${p}:trf:${t.id}`, 'pii')) ?? '' };
  };
  const first = await failed(1);
  const kept = await post(2, { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' });
  await until('awaiting', async () =>
    (await w.gw.store.get(kept.id))?.state === 'awaiting_local_report' ? true : null,
  );
  const keptSealed = (await w.gw.redis.hget(`${p}:trf:${kept.id}`, 'pii')) ?? '';
  clock.advance(30 * MIN);
  const second = await failed(3);
  const masked = `110105********${first.idNumber.slice(-4)}`;
  expect(first.sealed).toMatch(/^v1\./);
  // Written through to the file (fsync every second): the sealed data is on disk, in the clear form
  // a search can find.
  await until('the AOF to hold the transfers', async () =>
    disk().includes(first.sealed) && disk().includes(second.sealed) ? true : null,
  );
  expect(disk().includes(masked)).toBe(true);

  // 90 days after the first failed, 15 minutes before the second is due.
  clock.advance(90 * 86_400_000 - 15 * MIN);
  const run = await w.gw.retention.sweep();
  expect(run.purged).toBe(1);
  expect(run.aofRewrite).toBe('requested');
  await rewriteDone();
  await until('the old files to be gone', async () => (disk().includes(first.sealed) ? null : true));
  const files = disk();
  expect(files.includes(first.sealed)).toBe(false);
  expect(files.includes(masked)).toBe(false);
  // What is still held is still on disk: the search sees what the files hold.
  expect(files.includes(keptSealed)).toBe(true);
  // The second finished long enough ago to be packed: its sealed data now lies in its packed part.
  const secondPacked = await w.gw.redis.getBuffer(`${p}:trf:${second.id}:packed`);
  expect(secondPacked?.length).toBeGreaterThan(100);
  expect(files.includes(secondPacked!)).toBe(true);
  // Clear ID numbers never reach Redis at all.
  for (const t of [first, second, kept]) expect(files.includes(t.idNumber)).toBe(false);

  // The second is purged 20 minutes later: the rewrite waits for the hour since the last one.
  clock.advance(20 * MIN);
  const soon = await w.gw.retention.sweep();
  expect(soon.purged).toBe(1);
  expect(soon.aofRewrite).toBe('waiting');
  const status = async () =>
    (
      await api<RetentionStatus & { rules: unknown[] }>(w.gw.url, 'GET', '/v1/ops/retention', {
        key: KEYS.ops,
      })
    ).body;
  expect((await status()).disk.aofRewriteDueSince).toEqual(expect.any(String));
  expect((await status()).totals.aofRewrites).toBe(1);

  clock.advance(45 * MIN);
  const later = await w.gw.retention.sweep();
  expect(later.purged).toBe(0);
  expect(later.aofRewrite).toBe('requested');
  await rewriteDone();
  await until('the second gone from disk', async () => (disk().includes(secondPacked!) ? null : true));
  expect(disk().includes(second.sealed)).toBe(false);
  expect(disk().includes(keptSealed)).toBe(true);
  const after = await status();
  expect(after.disk.aofRewriteDueSince).toBeNull();
  expect(after.disk.aofRewriteResult).toBe('requested');
  expect(after.totals.aofRewrites).toBe(2);
});
