/**
 * `tgw transfers export` in-process, against a stand-in for the gateway (the integration test runs it
 * against a real one): the option checks, the pages followed, what a line may hold, a failure midway.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Fetch } from '../../../src/cli/client.js';
import { main } from '../../../src/cli/main.js';

function sink() {
  let text = '';
  return {
    out: { isTTY: false, write: (s: string) => (text += s) },
    text: () => text,
  };
}

/** The gateway's pages in turn (each answer to a request), recording the requests' URLs. */
function gateway(answers: (Record<string, unknown> | Error)[]) {
  const urls: URL[] = [];
  const fetch: Fetch = (input) => {
    urls.push(new URL(input instanceof Request ? input.url : input));
    const next = answers.shift();
    if (next === undefined) throw new Error('no more pages');
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(new Response(JSON.stringify(next), { status: 200 }));
  };
  return { fetch, urls };
}

async function run(args: string[], fetch?: Fetch) {
  const out = sink();
  const err = sink();
  const code = await main(['transfers', 'export', ...args], {
    out: out.out,
    err: err.out,
    env: { TGW_URL: 'http://gateway.test', TGW_KEY: 'ops-key-0123456789' },
    ...(fetch ? { fetch } : {}),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const transfer = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  state: 'failed',
  target: 'national',
  finishedAt: '2026-01-05T10:00:00.000Z',
  reason: { kind: 'employed_with_org', employerName: 'X' },
  events: [],
  ...extra,
});

describe('tgw transfers export: options', () => {
  it.each<[string[], string]>([
    [['--state', 'stuck'], 'unknown state "stuck"; one of: completed, rejected, failed, cancelled, expired'],
    [
      ['--state', 'accepted'],
      'state "accepted" is not a finished state; only finished transfers are exported',
    ],
    [
      ['--finished-since', '2026-02-30'],
      '--finished-since "2026-02-30" is neither a day (YYYY-MM-DD, midnight UTC)',
    ],
    [['--finished-before', '2026-01-05T10:00:00'], 'nor an instant with its zone'],
    [
      ['--finished-since', '2026-02-01', '--finished-before', '2026-02-01'],
      'must be later than --finished-since',
    ],
    [['--page', '0'], '--page must be a whole number from 1 to 500'],
    [['--page', '501'], '--page must be a whole number from 1 to 500'],
    [['--target', 'Mars!'], '"Mars!" is not a partner id'],
    [['--out', ''], '--out needs a file name'],
    [['finished'], 'unexpected argument "finished"'],
    [['--since', '2026-01-01'], 'unknown option --since'],
  ])('%j: exit 2 before asking the gateway', async (args, message) => {
    const gw = gateway([]);
    const r = await run(args, gw.fetch);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('(see `tgw transfers export --help`)');
    expect(gw.urls).toEqual([]);
  });

  it('sends the filters as the API takes them: a day as its midnight UTC, instants in UTC', async () => {
    const gw = gateway([{ items: [], nextCursor: null, scanned: 0, total: 0 }]);
    const r = await run(
      [
        '--state',
        'completed',
        '--target',
        'national',
        '--finished-since',
        '2026-01-01',
        '--finished-before',
        '2026-02-01T08:00+08:00',
        '--page',
        '250',
      ],
      gw.fetch,
    );
    expect(r.code).toBe(0);
    const url = gw.urls[0];
    expect(url?.pathname).toBe('/v1/ops/finished-transfers');
    expect(Object.fromEntries(url?.searchParams ?? [])).toEqual({
      state: 'completed',
      target: 'national',
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-02-01T00:00:00.000Z',
      limit: '250',
    });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'exported 0 transfers (state completed, target national, finished since 2026-01-01 00:00:00Z, ' +
        'finished before 2026-02-01 00:00:00Z) to standard output\n',
    );
  });
});

describe('tgw transfers export: pages and lines', () => {
  it('follows the cursors, progress by transfers read, one line each', async () => {
    const gw = gateway([
      { items: [transfer('trf_a'), transfer('trf_b')], nextCursor: '1:trf_b', scanned: 2, total: 5 },
      { items: [], nextCursor: '2:trf_d', scanned: 2, total: 5 }, // read, all filtered out
      { items: [transfer('trf_e')], nextCursor: null, scanned: 1, total: 5 },
    ]);
    const r = await run(['--page', '2'], gw.fetch);
    expect(r.code).toBe(0);
    expect(gw.urls.map((u) => u.searchParams.get('cursor'))).toEqual([null, '1:trf_b', '2:trf_d']);
    expect(r.stdout.split('\n')).toHaveLength(4);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['trf_a', 'trf_b', 'trf_e']);
    expect(r.stderr).toBe(
      'exporting: 2/5 (40%)\nexporting: 4/5 (80%)\nexporting: 5/5 (100%)\n' +
        'exported 3 transfers (every finished state) to standard output\n',
    );
  });

  it('never writes personal data, even from a gateway that sent some', async () => {
    const leaky = transfer('trf_a', {
      member: { name: '张*', idNumber: '110105********1234' },
      reason: {
        kind: 'abroad',
        countryOrRegion: '日本',
        domesticContact: { name: '李*', phone: '139****0000' },
      },
    });
    const r = await run([], gateway([{ items: [leaky], nextCursor: null, scanned: 1, total: 1 }]).fetch);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(line).not.toHaveProperty('member');
    expect(line.reason).toEqual({ kind: 'abroad', countryOrRegion: '日本' });
  });

  it('escapes C1 control characters and line separators: safe on a terminal, the same once parsed', async () => {
    const odd = transfer('trf_a', { externalRef: 'A\u009b31mB\u2028C\u001b' });
    const r = await run([], gateway([{ items: [odd], nextCursor: null, scanned: 1, total: 1 }]).fetch);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(r.stdout).toContain('A\\u009b31mB\\u2028C\\u001b');
    expect(JSON.parse(r.stdout)).toEqual(odd);
  });

  it('stops when the gateway repeats a cursor instead of looping', async () => {
    const page = { items: [transfer('trf_a')], nextCursor: '1:trf_a', scanned: 1, total: 3 };
    const r = await run([], gateway([page, { ...page, items: [] }]).fetch);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the gateway answered the same cursor twice (1:trf_a)');
  });
});

describe('tgw transfers export --out', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgw-export-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every page, then renames FILE.partial to FILE', async () => {
    const file = join(dir, 'out.jsonl');
    const gw = gateway([
      { items: [transfer('trf_a')], nextCursor: '1:trf_a', scanned: 1, total: 2 },
      { items: [transfer('trf_b')], nextCursor: null, scanned: 1, total: 2 },
    ]);
    const r = await run(['--out', file], gw.fetch);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = await readFile(file, 'utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['trf_a', 'trf_b']);
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(r.stderr).toContain(`exported 2 transfers (every finished state) to ${file}\n`);
  });

  it('a failure midway leaves neither FILE nor FILE.partial', async () => {
    const file = join(dir, 'out.jsonl');
    const gw = gateway([
      { items: [transfer('trf_a')], nextCursor: '1:trf_a', scanned: 1, total: 2 },
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      }),
    ]);
    const r = await run(['--out', file], gw.fetch);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`export stopped after 1 transfer; ${file} not written\n`);
    expect(r.stderr).toContain('tgw: cannot reach the gateway at http://gateway.test: read ECONNRESET');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
