/**
 * `tgw retention` and `tgw transfers export` as operators run them (the CLI as a child process, over
 * HTTP, against a whole world), on a movable clock: three batches of finished transfers, days apart,
 * so the date filters have something to tell apart.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/redis-server.js';
import { time } from '../../src/cli/format.js';
import { RETENTION_RULES } from '../../src/domain/retention.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DAY = 86_400_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with TGW_URL/TGW_KEY, stdin not a terminal, stdout and stderr pipes. */
function tgw(args: string[], env: { url: string; key: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, TGW_URL: env.url, TGW_KEY: env.key },
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

const NATIONAL = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' };
const UNKNOWN_ORG = { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' };
const NAME = '欧阳明月';
const PHONE = '13912345678';
const CONTACT = { name: '李四', phone: '13900000000', relationship: '父亲' };
const ABROAD = {
  kind: 'abroad',
  purpose: 'study',
  countryOrRegion: '日本',
  departureDate: '2026-09-01',
  domesticContact: CONTACT,
};

interface Finished {
  id: string;
  state: string;
  finishedAt: string;
  idNumber: string;
}

type Line = Record<string, unknown> & {
  id: string;
  state: string;
  target: string;
  finishedAt: string;
  reason: Record<string, unknown>;
  events: { type: string }[];
};

let w: World;
let ops: { url: string; key: string };
const clock = new MovableClock();
let n = 0;
/** The finished transfers of each batch: day 0, day 3, day 6 on the clock. */
const batches: Finished[][] = [];

async function post(destination: object, overrides: Record<string, unknown> = {}) {
  n += 1;
  const idNumber = validIdNumber(8100 + n, '19990101');
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      {
        externalRef: `BJ-EXP-${n}`,
        destination,
        member: { name: NAME, idNumber, phone: PHONE },
        ...overrides,
      },
      8100 + n,
    ),
    headers: { 'idempotency-key': `exp-${n}-${Date.now()}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { id: String(res.body.id), idNumber };
}

async function inState(t: { id: string; idNumber: string }, state: string): Promise<Finished> {
  return until(`${t.id} to be ${state}`, async () => {
    const v = (await api<Finished>(w.gw.url, 'GET', `/v1/transfers/${t.id}`, { key: KEYS.ops })).body;
    return v.state === state ? { id: t.id, state, finishedAt: v.finishedAt, idNumber: t.idNumber } : null;
  });
}

/** Fails at once: the national partner does not know the org. */
const failed = async (overrides: Record<string, unknown> = {}) =>
  inState(await post(UNKNOWN_ORG, overrides), 'failed');

async function completed(): Promise<Finished> {
  const t = await post(NATIONAL);
  await inState(t, 'submitted');
  w.national.control.decide(t.id, 'approve');
  return inState(t, 'completed');
}

const all = () => batches.flat();
const byFinish = (ts: Finished[]) =>
  [...ts].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.id.localeCompare(b.id));
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
/** The day after the one `iso` falls on (UTC), as YYYY-MM-DD. */
const dayAfter = (iso: string) => new Date(Date.parse(iso.slice(0, 10)) + DAY).toISOString().slice(0, 10);
const latest = (ts: Finished[]) =>
  ts
    .map((t) => t.finishedAt)
    .sort()
    .at(-1) ?? '';
const earliest = (ts: Finished[]) => ts.map((t) => t.finishedAt).sort()[0] ?? '';

beforeAll(async () => {
  // The partners decide only when told; the schedules are an hour away: the sweep runs when a test says.
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
  ops = { url: w.gw.url, key: KEYS.ops };
  batches.push(await Promise.all([failed(), failed({ reason: ABROAD })]));
  clock.advanceDays(3);
  batches.push(await Promise.all([failed(), completed()]));
  clock.advanceDays(3);
  batches.push([await failed()]);
});
afterAll(async () => {
  await w.close();
});

describe('tgw retention', () => {
  it('after a sweep: the windows, the last run, what is due, the totals, next purge and expiry', async () => {
    const run = await w.gw.retention.sweep();
    expect(run.packed).toBe(4); // all but the last batch finished more than 5 minutes ago
    const [text, json, rules] = await Promise.all([
      tgw(['retention'], ops),
      tgw(['retention', '--json'], ops),
      tgw(['retention', '--rules'], ops),
    ]);

    expect(json.code).toBe(0);
    const status = { ...(await w.gw.retention.status()), rules: RETENTION_RULES };
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(status)));

    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    const out = text.stdout;
    expect(out).toMatch(
      /^personal data {2}erased 90 days after a transfer finished \(PII_RETENTION_DAYS\)$/m,
    );
    expect(out).toMatch(/^records {8}deleted 400 days after a transfer finished \(RECORD_RETENTION_DAYS\)$/m);
    expect(out).toMatch(
      /^last run {7}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, \d+ ms: packed 4, purged 0, expired 0, deferred 0, errors 0$/m,
    );
    expect(out).toMatch(/^due now {8}pack 0, purge 0, expire 0 \(the next run takes them\)$/m);
    expect(out).toMatch(/^totals {9}packed 4, purged 0, expired 0, append-only file rewrites 0$/m);
    const first = Date.parse(earliest(all()));
    expect(out).toMatch(new RegExp(`^next purge {5}${time(new Date(first + 90 * DAY).toISOString())}$`, 'm'));
    expect(out).toMatch(
      new RegExp(`^next expiry {4}${time(new Date(first + 400 * DAY).toISOString())}$`, 'm'),
    );
    expect(out).toMatch(/^disk {11}no purge yet: no append-only file rewrite needed$/m);
    expect(out).not.toContain('what the gateway keeps');

    expect(rules.code).toBe(0);
    expect(rules.stdout.startsWith(out)).toBe(true);
    expect(rules.stdout).toContain('what the gateway keeps, and for how long:');
    expect(rules.stdout).toContain('    kept  90 days after the transfer finished (PII_RETENTION_DAYS)');
    for (const r of RETENTION_RULES) expect(rules.stdout).toContain(`  ${r.what}\n`);
  });

  it('a usage error exits 2', async () => {
    const run = await tgw(['retention', 'now'], ops);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tgw: unexpected argument "now"\n(see `tgw retention --help`)\n');
  });
});

describe('tgw transfers export', () => {
  it('every finished transfer as JSON Lines, oldest finished first, without personal data', async () => {
    const run = await tgw(['transfers', 'export', '--page', '2'], ops); // three pages
    expect(run.code).toBe(0);
    const got = lines(run.stdout);
    expect(got.map((t) => t.id)).toEqual(byFinish(all()).map((t) => t.id));
    expect(got.map((t) => t.finishedAt)).toEqual(byFinish(all()).map((t) => t.finishedAt));
    for (const t of got) {
      expect(t).not.toHaveProperty('member');
      expect(t.reason).not.toHaveProperty('domesticContact');
      expect(t.events.map((e) => e.type)).toContain('accepted');
      expect(t).toMatchObject({ target: 'national', personalDataPurgedAt: null });
    }
    const abroad = got.find((t) => t.reason.kind === 'abroad');
    expect(abroad?.reason).toEqual({
      kind: 'abroad',
      purpose: 'study',
      countryOrRegion: '日本',
      departureDate: '2026-09-01',
    });
    // No personal data in any form: whole, masked, or the contact's.
    for (const pii of [NAME, '欧', PHONE, CONTACT.name, CONTACT.phone, 'domesticContact', '"member":']) {
      expect(run.stdout).not.toContain(pii);
    }
    for (const t of all()) expect(run.stdout).not.toContain(t.idNumber.slice(0, 14));
    expect(run.stdout).not.toMatch(/\*\*\*/);

    // Progress off a terminal: plain lines on stderr, then the summary.
    expect(run.stderr).toContain('exporting: 5/5 (100%)\n');
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      'exported 5 transfers (every finished state) to standard output',
    );
  });

  it('--state and --target keep only those; progress still counts every finished transfer read', async () => {
    const [done, failedOnes, none] = await Promise.all([
      tgw(['transfers', 'export', '--state', 'completed'], ops),
      tgw(['transfers', 'export', '--state', 'failed', '--target', 'national', '--page', '1'], ops),
      tgw(['transfers', 'export', '--target', 'fujian'], ops),
    ]);
    expect(done.code).toBe(0);
    const completedIds = all()
      .filter((t) => t.state === 'completed')
      .map((t) => t.id);
    expect(lines(done.stdout).map((t) => t.id)).toEqual(completedIds);
    expect(done.stderr).toContain('exporting: 5/5 (100%)');
    expect(done.stderr).toContain('exported 1 transfer (state completed) to standard output');

    expect(failedOnes.code).toBe(0);
    const failedIds = byFinish(all().filter((t) => t.state === 'failed')).map((t) => t.id);
    expect(lines(failedOnes.stdout).map((t) => t.id)).toEqual(failedIds);
    expect(failedOnes.stderr).toContain('exported 4 transfers (state failed, target national) to');

    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('exported 0 transfers (every finished state, target fujian)');
  });

  it('date filters: a day is its midnight UTC; since is inclusive, before is exclusive', async () => {
    const [b0, b1, b2] = [batches[0] ?? [], batches[1] ?? [], batches[2] ?? []];
    // The batches are three days apart: a day after each one's last falls before the next one.
    const since = dayAfter(latest(b0));
    const before = dayAfter(latest(b1));
    expect(since <= earliest(b1) && before <= earliest(b2)).toBe(true);
    const firstOfB1 = earliest(b1);
    const [days, fromB1, untilB1, offset] = await Promise.all([
      tgw(['transfers', 'export', '--finished-since', since, '--finished-before', before], ops),
      tgw(['transfers', 'export', '--finished-since', firstOfB1], ops),
      tgw(['transfers', 'export', '--finished-before', firstOfB1], ops),
      // The same instant written at +08:00, with a space as tgw prints times.
      tgw(
        [
          'transfers',
          'export',
          '--finished-since',
          new Date(Date.parse(since) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ') + '+08:00',
        ],
        ops,
      ),
    ]);
    const ids = (run: Run) => {
      expect(run.code, run.stderr).toBe(0);
      return lines(run.stdout).map((t) => t.id);
    };
    const idsOf = (ts: Finished[]) => byFinish(ts).map((t) => t.id);
    expect(ids(days)).toEqual(idsOf(b1));
    expect(days.stderr).toContain(
      `exported 2 transfers (every finished state, finished since ${since} 00:00:00Z, ` +
        `finished before ${before} 00:00:00Z) to standard output`,
    );
    // Progress counts what the range holds.
    expect(days.stderr).toContain('exporting: 2/2 (100%)');
    expect(ids(fromB1)).toEqual(idsOf([...b1, ...b2]));
    expect(ids(untilB1)).toEqual(idsOf(b0));
    expect(ids(offset)).toEqual(idsOf([...b1, ...b2]));
  });

  it('--out: the file appears whole, or not at all (an old one is left as it was)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tgw-export-'));
    try {
      const file = join(dir, 'finished.jsonl');
      const ok = await tgw(['transfers', 'export', '--out', file], ops);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe('');
      expect(ok.stderr).toContain('exporting: 5/5 (100%)');
      expect(ok.stderr).toContain(`exported 5 transfers (every finished state) to ${file}\n`);
      expect(existsSync(`${file}.partial`)).toBe(false);
      const written = await readFile(file, 'utf8');
      expect(lines(written).map((t) => t.id)).toEqual(byFinish(all()).map((t) => t.id));
      expect(written).not.toContain(NAME);

      // The gateway gone half way is like gone from the start: the old file stays, no partial one.
      const old = join(dir, 'old.jsonl');
      await writeFile(old, 'an earlier export\n');
      const down = await tgw(['transfers', 'export', '--out', old], {
        url: `http://127.0.0.1:${await freePort()}`,
        key: KEYS.ops,
      });
      expect(down.code).toBe(4);
      expect(down.stderr).toContain(`export stopped after 0 transfers; ${old} not written`);
      expect(down.stderr).toContain('tgw: cannot reach the gateway at');
      expect(await readFile(old, 'utf8')).toBe('an earlier export\n');
      expect(existsSync(`${old}.partial`)).toBe(false);

      const nowhere = await tgw(['transfers', 'export', '--out', join(dir, 'no', 'such', 'dir.jsonl')], ops);
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toContain('--out: cannot write');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a usage error exits 2 with a clear message and exports nothing (test/unit/cli has the rest)', async () => {
    const [unknown, unfinished] = await Promise.all([
      tgw(['transfers', 'export', '--state', 'stuck'], ops),
      tgw(['transfers', 'export', '--state', 'accepted'], ops),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(
      'tgw: unknown state "stuck"; one of: completed, rejected, failed, cancelled, expired\n' +
        '(see `tgw transfers export --help`)\n',
    );
    expect(unfinished.code).toBe(2);
    expect(unfinished.stderr).toContain('state "accepted" is not a finished state');
  });
});
